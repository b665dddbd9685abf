"""Strong identification in the middle of a chat.

`IdentificationRequest` is one handoff to an identity provider: created by the
professional, opened once by the resident's own browser session, finished by the
provider's callback. `IdentityBinding` is the verified person a conversation is
bound to; it cannot be replaced by another person (identity.actions).

Every write goes through `identity.actions`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conversations.models import Conversation, IdentificationState

# One vocabulary for the request's state and the conversation's summary of it.
RequestState = IdentificationState


OPEN_STATES = (RequestState.REQUESTED, RequestState.STARTED)


class FailureCode(models.TextChoices):
    """Why an identification did not complete. The provider's codes
    (identity.providers.base) and the rules of the handoff (identity.actions)."""

    CANCELLED = "cancelled", _("cancelled by the resident")
    EXPIRED = "expired", _("the request expired")
    WRONG_SESSION = "wrong_session", _("another browser session")
    REPLAYED = "replayed", _("already used")
    BAD_SIGNATURE = "bad_signature", _("bad signature")
    WRONG_AUDIENCE = "wrong_audience", _("token for another service")
    WRONG_ISSUER = "wrong_issuer", _("token from another provider")
    TOKEN_EXPIRED = "token_expired", _("token expired")
    NONCE_MISMATCH = "nonce_mismatch", _("nonce mismatch")
    STATE_MISMATCH = "state_mismatch", _("state mismatch")
    LEVEL_TOO_LOW = "level_too_low", _("level of assurance too low")
    INVALID_TOKEN = "invalid_token", _("invalid token")
    PROVIDER_ERROR = "provider_error", _("identity provider error")
    DIFFERENT_PERSON = "different_person", _("a different person")
    CONVERSATION_CLOSED = "conversation_closed", _("the conversation ended")
    SUPERSEDED = "superseded", _("replaced by a new request")


class Level(models.TextChoices):
    """Level of assurance (eIDAS / the Finnish Trust Network)."""

    SUBSTANTIAL = "substantial", _("substantial")
    HIGH = "high", _("high")
    # The providers' test token: accepted only where settings allow it, never in production.
    TEST = "test", _("test")


class IdentificationRequest(models.Model):
    """One identification handoff: single use, expires, bound to one conversation
    and, once opened, to the resident's browser session.

    `token` is the link's unguessable id. It is not a credential: the link works
    only in the session that owns the conversation, and only once.
    `state_digest` finds the request when the provider's callback comes back;
    `secrets` (the OIDC nonce and PKCE verifier) are kept server-side and emptied
    when the callback consumes them (`consumed_at`)."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="identification_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True)
    state = models.CharField(
        _("state"), max_length=10, choices=RequestState.choices, default=RequestState.REQUESTED
    )
    failure_code = models.CharField(
        _("failure"), max_length=30, choices=FailureCode.choices, blank=True
    )
    provider = models.CharField(_("provider"), max_length=30, blank=True)
    language = models.CharField(max_length=2, blank=True)
    # HMAC of the resident's session key when the link was opened.
    session_digest = models.CharField(max_length=64, blank=True)
    state_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)
    secrets = models.JSONField(default=dict, blank=True)
    consumed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("identification request")
        verbose_name_plural = _("identification requests")
        constraints = [
            # One open handoff per conversation: a new request replaces the old one.
            models.UniqueConstraint(
                fields=["conversation"],
                condition=models.Q(state__in=["requested", "started"]),
                name="one_open_identification_request",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id} identification {self.pk} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class IdentityBinding(models.Model):
    """The verified person of a conversation. One per conversation; the same person
    may identify again (the row is refreshed), a different person never replaces it.

    The personal identity code is stored only encrypted (`hetu_ciphertext`,
    identity.crypto) with a keyed hash (`hetu_digest`) for "same person" lookups.
    People identified without one (eIDAS) are recognised by `subject_digest`, a
    keyed hash of the provider's subject identifier. Deleted with the conversation."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="identity"
    )
    request = models.ForeignKey(
        IdentificationRequest, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    provider = models.CharField(_("provider"), max_length=30)
    level = models.CharField(_("level of assurance"), max_length=12, choices=Level.choices)
    acr = models.CharField(max_length=100)
    given_names = models.CharField(_("given names"), max_length=200, blank=True)
    family_name = models.CharField(_("surname"), max_length=200, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    hetu_ciphertext = models.TextField(blank=True)
    hetu_digest = models.CharField(max_length=64, blank=True, db_index=True)
    subject_digest = models.CharField(max_length=64)
    first_identified_at = models.DateTimeField(default=timezone.now)
    identified_at = models.DateTimeField(_("identified"), default=timezone.now)

    class Meta:
        verbose_name = _("identity binding")
        verbose_name_plural = _("identity bindings")

    def __str__(self) -> str:
        return f"#{self.conversation_id} identity ({self.level})"

    @property
    def has_hetu(self) -> bool:
        return bool(self.hetu_ciphertext)

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.given_names, self.family_name) if part)
