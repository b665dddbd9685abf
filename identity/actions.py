"""Every write of the identification handoff. Each state change of a request
appends a timeline row in its transaction and is announced after the commit
(identity.timeline).

The handoff:
1. `request_identification`: the assigned professional of an active conversation
   asks; a new request replaces a pending one.
2. `start_identification`: the resident's browser opens the link. It works once,
   before it expires, and only in the session that owns the conversation; the
   provider's one-time secrets are stored against the request.
3. `finish_identification`: the provider's callback. The request is found by its
   `state` and must belong to this browser session; its secrets are consumed
   once, before the provider is asked (so a replayed callback finds nothing);
   the result is bound to the conversation unless it is a different person.
   The view then cycles the session key and the CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone

from conversations.actions import record_audit
from conversations.models import ActorKind, AuditAction, Conversation, ConversationStatus
from conversations.selectors import conversation_for_resident, conversation_for_staff
from identity import crypto, timeline
from identity.errors import IdentityError
from identity.models import (
    OPEN_STATES,
    FailureCode,
    IdentificationRequest,
    IdentityBinding,
    RequestState,
)
from identity.providers import IdentificationFailure, Site, VerifiedIdentity, get_provider
from identity.selectors import SESSION_REQUEST_KEY, session_digest

logger = logging.getLogger(__name__)


def _digest(correlation: str) -> str:
    return hashlib.sha256(correlation.encode()).hexdigest()


def _locked_conversation(conversation_id: int) -> Conversation:
    try:
        return (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("assigned_to")
            .get(pk=conversation_id)
        )
    except Conversation.DoesNotExist:
        raise IdentityError("not_found") from None


def _locked_request(request_id: int) -> IdentificationRequest:
    return (
        IdentificationRequest.objects.select_for_update(of=("self",))
        .select_related("conversation", "conversation__assigned_to")
        .get(pk=request_id)
    )


def _close_request(
    request: IdentificationRequest, state: RequestState, code: str, now: datetime
) -> None:
    """End an open request: its secrets are dropped whatever the outcome."""
    request.state = state
    request.failure_code = code
    request.finished_at = now
    request.secrets = {}
    request.consumed_at = request.consumed_at or now
    request.save(update_fields=["state", "failure_code", "finished_at", "secrets", "consumed_at"])


def _fail(request: IdentificationRequest, code: FailureCode, now: datetime) -> None:
    cancelled = code == FailureCode.CANCELLED
    _close_request(request, RequestState.CANCELLED if cancelled else RequestState.FAILED, code, now)
    timeline.record_and_announce(
        request.conversation,
        timeline.CANCELLED if cancelled else timeline.FAILED,
        request=request,
        actor_kind=ActorKind.RESIDENT if cancelled else ActorKind.SYSTEM,
        payload={"request": request.pk, "code": str(code)},
    )
    logger.info(
        "identification request %s of conversation %s failed: %s",
        request.pk,
        request.conversation_id,
        code,
    )


def _expire(request: IdentificationRequest, now: datetime) -> None:
    _close_request(request, RequestState.EXPIRED, FailureCode.EXPIRED, now)
    timeline.record_and_announce(
        request.conversation,
        timeline.EXPIRED,
        request=request,
        actor_kind=ActorKind.SYSTEM,
        payload={"request": request.pk},
    )


# --- 1. the professional asks ------------------------------------------------------
@transaction.atomic
def request_identification(
    *, conversation_id: int, professional: AbstractUser, now: datetime | None = None
) -> IdentificationRequest:
    """The assigned professional of an active conversation asks the resident to
    identify. A pending request of the conversation is cancelled (replaced). The
    request's link (`reverse("identity:start", args=[request.token])`) goes to the
    resident; it expires after IDENTIFICATION_REQUEST_MINUTES."""
    now = now or timezone.now()
    # Locks in the order every path of the handoff takes: requests, then the conversation.
    pending_requests = list(
        IdentificationRequest.objects.select_for_update().filter(
            conversation_id=conversation_id, state__in=OPEN_STATES
        )
    )
    conversation = _locked_conversation(conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        raise IdentityError("conversation_closed")
    if (
        conversation.status != ConversationStatus.ACTIVE
        or conversation.assigned_to_id != professional.pk
    ):
        raise IdentityError("not_assigned")
    for pending in pending_requests:
        pending.conversation = conversation
        _close_request(pending, RequestState.CANCELLED, FailureCode.SUPERSEDED, now)
        timeline.record_and_announce(
            conversation,
            timeline.CANCELLED,
            request=pending,
            actor_kind=ActorKind.STAFF,
            actor=professional,
            payload={"request": pending.pk, "code": FailureCode.SUPERSEDED.value},
        )
    request = IdentificationRequest.objects.create(
        conversation=conversation,
        requested_by_id=professional.pk,
        token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(minutes=settings.IDENTIFICATION_REQUEST_MINUTES),
        language=conversation.language,
    )
    timeline.record_and_announce(
        conversation,
        timeline.REQUESTED,
        request=request,
        actor_kind=ActorKind.STAFF,
        actor=professional,
        payload={"request": request.pk, "expires": request.expires_at.isoformat()},
    )
    return request


# --- 2. the resident opens the link --------------------------------------------------
def start_identification(
    *, token: str, session: SessionBase, site: Site, now: datetime | None = None
) -> str:
    """Mark the request started and return the provider's address to send the
    browser to. Refused (IdentityError) unless the link is pending, unexpired and
    opened in the session that owns the conversation. A refusal in another
    session changes nothing (a stranger cannot spoil the resident's link).
    Raises ProviderError when the provider cannot be reached (the link stays usable)."""
    now = now or timezone.now()
    request = (
        IdentificationRequest.objects.select_related("conversation").filter(token=token).first()
    )
    if request is None:
        raise IdentityError("link_not_found")
    owned = conversation_for_resident(session=session)
    if owned is None or owned.pk != request.conversation_id:
        logger.info("identification request %s opened in another session", request.pk)
        raise IdentityError("wrong_session")
    language = request.conversation.language
    if request.state == RequestState.REQUESTED and now >= request.expires_at:
        expire_identification_request(request_id=request.pk, now=now)
        raise IdentityError("expired", language=language)
    if request.state == RequestState.EXPIRED:
        raise IdentityError("expired", language=language)
    if request.state == RequestState.CANCELLED and request.failure_code == FailureCode.SUPERSEDED:
        raise IdentityError("replaced", language=language)
    if request.state != RequestState.REQUESTED:
        raise IdentityError("already_used", language=language)
    if request.conversation.status != ConversationStatus.ACTIVE:
        raise IdentityError("conversation_closed", language=language)

    # The provider may be asked over the network (discovery): outside the lock.
    provider = get_provider()
    handoff = provider.start(site=site, language=language)
    with transaction.atomic():
        request = _locked_request(request.pk)
        if request.state != RequestState.REQUESTED:
            raise IdentityError("already_used", language=language)
        request.state = RequestState.STARTED
        request.started_at = now
        request.provider = provider.name
        request.session_digest = session_digest(session)
        request.state_digest = _digest(handoff.correlation)
        request.secrets = handoff.secrets
        request.save(
            update_fields=[
                "state",
                "started_at",
                "provider",
                "session_digest",
                "state_digest",
                "secrets",
            ]
        )
        timeline.record_and_announce(
            request.conversation,
            timeline.STARTED,
            request=request,
            actor_kind=ActorKind.RESIDENT,
            payload={"request": request.pk, "provider": provider.name},
        )
    session[SESSION_REQUEST_KEY] = request.pk
    return handoff.redirect_url


# --- 3. the provider's callback --------------------------------------------------------
@dataclass(frozen=True)
class FinishResult:
    """What the callback page shows. `code` is a FailureCode when not completed."""

    completed: bool
    code: str = ""
    language: str = ""
    request_id: int | None = None
    given_names: str = ""
    family_name: str = ""
    level: str = ""


@dataclass(frozen=True)
class _Claim:
    request_id: int | None
    language: str = ""
    provider: str = ""
    failure: str = ""
    secrets: dict[str, Any] = field(default_factory=dict)


@transaction.atomic
def _claim(correlation: str | None, session: SessionBase, now: datetime) -> _Claim:
    """Find the request of this callback and consume its secrets, once."""
    request = None
    if correlation:
        request = (
            IdentificationRequest.objects.select_for_update(of=("self",))
            .select_related("conversation", "conversation__assigned_to")
            .filter(state_digest=_digest(correlation))
            .first()
        )
    digest = session_digest(session)
    if request is None:
        # A state nobody issued. If this session has a request under way, this
        # answer was not for it: fail it rather than leave it waiting.
        pending_id = session.get(SESSION_REQUEST_KEY)
        pending = (
            IdentificationRequest.objects.select_for_update(of=("self",))
            .select_related("conversation", "conversation__assigned_to")
            .filter(pk=pending_id, state=RequestState.STARTED, consumed_at__isnull=True)
            .first()
            if isinstance(pending_id, int)
            else None
        )
        if pending is not None and digest and hmac.compare_digest(pending.session_digest, digest):
            _fail(pending, FailureCode.STATE_MISMATCH, now)
            return _Claim(pending.pk, pending.language, failure=FailureCode.STATE_MISMATCH)
        logger.info("identification callback with an unknown state")
        return _Claim(None, failure=FailureCode.STATE_MISMATCH)
    language = request.language
    if request.state == RequestState.EXPIRED:
        return _Claim(request.pk, language, failure=FailureCode.EXPIRED)
    if request.state != RequestState.STARTED or request.consumed_at is not None:
        logger.info("identification request %s: callback replayed", request.pk)
        return _Claim(request.pk, language, failure=FailureCode.REPLAYED)
    if now >= request.expires_at:
        _expire(request, now)
        return _Claim(request.pk, language, failure=FailureCode.EXPIRED)
    if not digest or not hmac.compare_digest(request.session_digest, digest):
        _fail(request, FailureCode.WRONG_SESSION, now)
        return _Claim(request.pk, language, failure=FailureCode.WRONG_SESSION)
    if request.conversation.status != ConversationStatus.ACTIVE:
        _fail(request, FailureCode.CONVERSATION_CLOSED, now)
        return _Claim(request.pk, language, failure=FailureCode.CONVERSATION_CLOSED)
    stored = dict(request.secrets)
    request.secrets = {}
    request.consumed_at = now
    request.save(update_fields=["secrets", "consumed_at"])
    return _Claim(request.pk, language, provider=request.provider, secrets=stored)


def _same_person(binding: IdentityBinding, hetu_digest: str, subject_digest: str) -> bool:
    """One person per conversation: by identity code when either identification
    had one, else by the provider's identifier of the person (eIDAS)."""
    if binding.hetu_digest or hetu_digest:
        return hmac.compare_digest(binding.hetu_digest, hetu_digest)
    return hmac.compare_digest(binding.subject_digest, subject_digest)


@transaction.atomic
def _conclude(
    request_id: int, outcome: VerifiedIdentity | IdentificationFailure, now: datetime
) -> FinishResult:
    request = _locked_request(request_id)
    conversation = _locked_conversation(request.conversation_id)
    request.conversation = conversation
    language = request.language
    if request.state != RequestState.STARTED:  # expired by the sweep meanwhile
        return FinishResult(
            False, request.failure_code or FailureCode.EXPIRED, language, request.pk
        )
    if isinstance(outcome, IdentificationFailure):
        _fail(request, outcome.code, now)
        return FinishResult(False, outcome.code, language, request.pk)
    if conversation.status != ConversationStatus.ACTIVE:
        _fail(request, FailureCode.CONVERSATION_CLOSED, now)
        return FinishResult(False, FailureCode.CONVERSATION_CLOSED, language, request.pk)

    hetu_digest = crypto.hetu_digest(outcome.hetu) if outcome.hetu else ""
    subject_digest = crypto.subject_digest(
        provider=request.provider, issuer=outcome.issuer, subject=outcome.subject
    )
    binding = IdentityBinding.objects.select_for_update().filter(conversation=conversation).first()
    if binding is not None and not _same_person(binding, hetu_digest, subject_digest):
        _fail(request, FailureCode.DIFFERENT_PERSON, now)
        return FinishResult(False, FailureCode.DIFFERENT_PERSON, language, request.pk)
    values = {
        "request": request,
        "provider": request.provider,
        "level": outcome.level,
        "acr": outcome.acr,
        "given_names": outcome.given_names,
        "family_name": outcome.family_name,
        "birth_date": outcome.birth_date,
        "hetu_ciphertext": crypto.encrypt_hetu(outcome.hetu) if outcome.hetu else "",
        "hetu_digest": hetu_digest,
        "subject_digest": subject_digest,
        "identified_at": now,
    }
    again = binding is not None
    if binding is None:
        binding = IdentityBinding.objects.create(
            conversation=conversation, first_identified_at=now, **values
        )
    else:
        for name, value in values.items():
            setattr(binding, name, value)
        binding.save(update_fields=list(values))
    request.state = RequestState.COMPLETED
    request.finished_at = now
    request.save(update_fields=["state", "finished_at"])
    timeline.record_and_announce(
        conversation,
        timeline.COMPLETED,
        request=request,
        binding=binding,
        actor_kind=ActorKind.RESIDENT,
        payload={
            "request": request.pk,
            "provider": request.provider,
            "level": str(outcome.level),
            # A keyed pseudonym: the same person gets the same value, nobody can reverse it.
            "person": crypto.pseudonym(hetu_digest or subject_digest),
            "again": again,
        },
    )
    logger.info(
        "identification request %s of conversation %s completed (level %s)",
        request.pk,
        conversation.pk,
        outcome.level,
    )
    return FinishResult(
        True,
        "",
        language,
        request.pk,
        given_names=binding.given_names,
        family_name=binding.family_name,
        level=binding.level,
    )


def finish_identification(
    *,
    session: SessionBase,
    params: dict[str, str],
    site: Site,
    now: datetime | None = None,
) -> FinishResult:
    """The provider's callback with its query parameters. Never raises for what
    the browser or the provider sent; the result says what happened. On success
    the caller must cycle the session key and rotate the CSRF token."""
    now = now or timezone.now()
    try:
        claim = _claim(get_provider().correlation(params), session, now)
        if claim.failure or claim.request_id is None:
            return FinishResult(False, claim.failure, claim.language, claim.request_id)
        outcome = get_provider(claim.provider).finish(
            site=site, params=params, secrets=claim.secrets, now=now
        )
        return _conclude(claim.request_id, outcome, now)
    finally:
        session.pop(SESSION_REQUEST_KEY, None)


# --- expiry -----------------------------------------------------------------------
@transaction.atomic
def expire_identification_request(*, request_id: int, now: datetime | None = None) -> bool:
    """A pending request past its time expires (the professional sees it). True
    when it did."""
    now = now or timezone.now()
    request = _locked_request(request_id)
    if not request.is_open or now < request.expires_at:
        return False
    _expire(request, now)
    return True


def expire_identification_requests(*, now: datetime | None = None) -> int:
    """The periodic sweep: expire every pending request past its time. One failing
    row is logged and the rest go on. Returns how many expired."""
    now = now or timezone.now()
    done = 0
    ids = IdentificationRequest.objects.filter(
        state__in=OPEN_STATES, expires_at__lte=now
    ).values_list("pk", flat=True)
    for request_id in list(ids):
        try:
            if expire_identification_request(request_id=request_id, now=now):
                done += 1
        except Exception:
            logger.exception("expiring identification request %s failed", request_id)
    return done


# --- the professional reads the identity code --------------------------------------
@transaction.atomic
def reveal_hetu(
    *, conversation_id: int, professional: AbstractUser, address: str | None = None
) -> str:
    """The identified person's personal identity code, for the assigned
    professional only, written to the audit log (who, which conversation, when,
    from where) in the same transaction."""
    conversation = conversation_for_staff(user=professional, conversation_id=conversation_id)
    if conversation is None:
        raise IdentityError("not_found")
    if conversation.assigned_to_id != professional.pk:
        raise IdentityError("not_assigned")
    binding = IdentityBinding.objects.filter(conversation=conversation).first()
    if binding is None:
        raise IdentityError("not_identified")
    if not binding.hetu_ciphertext:
        raise IdentityError("no_identity_code")
    record_audit(
        user=professional,
        action=AuditAction.REVEAL_IDENTITY,
        conversation_id=conversation.pk,
        detail="personal identity code",
        address=address,
    )
    return crypto.decrypt_hetu(binding.hetu_ciphertext)


# --- key rotation -----------------------------------------------------------------
def reencrypt_identity_codes(*, batch_size: int = 200) -> int:
    """Re-encrypt every stored identity code with the newest key of
    IDENTITY_HETU_KEYS and recompute its keyed hash with IDENTITY_HETU_HMAC_KEY
    (after either key changed). Returns how many rows were rewritten."""
    done = 0
    ids = list(IdentityBinding.objects.exclude(hetu_ciphertext="").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            for binding in IdentityBinding.objects.select_for_update().filter(
                pk__in=ids[start : start + batch_size]
            ):
                code = crypto.decrypt_hetu(binding.hetu_ciphertext)
                binding.hetu_ciphertext = crypto.reencrypt_hetu(binding.hetu_ciphertext)
                binding.hetu_digest = crypto.hetu_digest(code)
                binding.save(update_fields=["hetu_ciphertext", "hetu_digest"])
                done += 1
    return done


# --- retention --------------------------------------------------------------------
@transaction.atomic
def forget_identity(*, conversation_id: int) -> bool:
    """Remove the verified person of a conversation whose content retention
    purges (deleting the conversation itself does this by cascade). The timeline
    keeps only ids, codes and pseudonyms. True when there was one."""
    IdentificationRequest.objects.filter(conversation_id=conversation_id).update(secrets={})
    deleted, _ = IdentityBinding.objects.filter(conversation_id=conversation_id).delete()
    return bool(deleted)
