"""The core: services (queues), conversations, their messages and their timeline.

Models hold data and small derived properties only. Every write goes through
`conversations.actions`; every read that needs a permission goes through
`conversations.selectors`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from conversations import limits


def localized(obj: models.Model, field: str, language: str | None = None) -> str:
    """The one reader of localized fields: `obj.<field>_<language>` for the given
    or current language; the county's default language when that is empty or
    the language is not served."""
    language = limits.served_language(language or get_language())
    default = settings.LANGUAGE_CODE
    return getattr(obj, f"{field}_{language}") or getattr(obj, f"{field}_{default}")


class AppendOnlyError(ValueError):
    """A row of an append-only log was to be changed or removed."""


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk changes are refused like changes to one row (`update()`, `delete()`
    and what is built on them: `bulk_update()`, a related manager's `delete()`).

    Django's deletion collector does not come through here: it reads related
    rows through `_base_manager` and deletes them with a raw delete, so a
    conversation deleted by a retention purge still takes its timeline with it
    (CASCADE), and deleting a user still clears `actor` (SET_NULL)."""

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only.")


class AppendOnlyModel(models.Model):
    """Rows are written once: saving an existing row, deleting a row and bulk
    updates or deletes through the manager raise `AppendOnlyError`."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")


class ProfessionalDisplay(models.TextChoices):
    FIRST_NAME = "first_name", _("first name")
    TITLE = "title", _("title")


class Service(models.Model):
    """A service that residents can chat with; each service is one queue."""

    slug = models.SlugField(_("identifier"), unique=True)
    name_sv = models.CharField(_("name (Swedish)"), max_length=120)
    name_fi = models.CharField(_("name (Finnish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description_sv = models.TextField(_("description (Swedish)"), blank=True)
    description_fi = models.TextField(_("description (Finnish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    closed_info_sv = models.TextField(
        _("where to turn when closed (Swedish)"),
        blank=True,
        help_text=_("Shown when the service is closed, e.g. phone numbers and opening hours."),
    )
    closed_info_fi = models.TextField(_("where to turn when closed (Finnish)"), blank=True)
    closed_info_en = models.TextField(_("where to turn when closed (English)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    ordering = models.PositiveSmallIntegerField(_("order"), default=0)
    retention_days = models.PositiveIntegerField(
        _("retention (days)"),
        default=90,
        help_text=_("How long conversation content is kept after the conversation closes."),
    )
    max_wait_minutes = models.PositiveIntegerField(
        _("maximum wait (minutes)"),
        default=60,
        help_text=_("A resident waiting longer than this is told honestly what happens next."),
    )
    professionals = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("professionals"),
        related_name="services",
        blank=True,
    )
    transcripts_enabled = models.BooleanField(
        _("residents may e-mail the transcript to themselves"),
        default=True,
        help_text=_("Offered on the resident's end screen after the conversation closes."),
    )
    professional_display = models.CharField(
        _("professionals shown in transcripts as"),
        max_length=10,
        choices=ProfessionalDisplay.choices,
        default=ProfessionalDisplay.FIRST_NAME,
    )
    professional_title_sv = models.CharField(
        _("professional's title (Swedish)"),
        max_length=60,
        blank=True,
        help_text=_("E.g. 'Nurse'. Used when professionals are shown by title."),
    )
    professional_title_fi = models.CharField(
        _("professional's title (Finnish)"), max_length=60, blank=True
    )
    professional_title_en = models.CharField(
        _("professional's title (English)"), max_length=60, blank=True
    )
    language_strict = models.BooleanField(
        _("offer conversations only to professionals who speak their language"),
        default=False,
        help_text=_(
            "A conversation in a language nobody available speaks is offered to everyone "
            "after the fallback wait, so that nobody waits forever."
        ),
    )
    language_fallback_minutes = models.PositiveSmallIntegerField(
        _("fallback wait (minutes)"), default=5
    )
    callback_after_minutes = models.PositiveSmallIntegerField(
        _("offer a call-back when the estimated wait exceeds (minutes)"),
        null=True,
        blank=True,
        help_text=_("Empty: never offered."),
    )
    contact_requests = models.BooleanField(
        _("residents may leave a contact request while the service is closed"), default=False
    )

    class Meta:
        ordering = ["ordering", "slug"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name_sv

    def name(self, language: str | None = None) -> str:
        return localized(self, "name", language)

    def description(self, language: str | None = None) -> str:
        return localized(self, "description", language)

    def closed_info(self, language: str | None = None) -> str:
        return localized(self, "closed_info", language)

    def professional_title(self, language: str | None = None) -> str:
        return localized(self, "professional_title", language)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """A weekly slot during which the service takes chats (local time)."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="opening_hours", verbose_name=_("service")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")), name="opening_hours_opens_first"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class ServiceException(models.Model):
    """A date on which the weekly hours do not apply: closed, or other hours."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="exceptions", verbose_name=_("service")
    )
    date = models.DateField(_("date"))
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("exception date")
        verbose_name_plural = _("exception dates")
        constraints = [
            models.UniqueConstraint(fields=["service", "date"], name="one_exception_per_day"),
            models.CheckConstraint(
                condition=(
                    models.Q(opens__isnull=True, closes__isnull=True)
                    | models.Q(
                        opens__isnull=False, closes__isnull=False, opens__lt=models.F("closes")
                    )
                ),
                name="exception_closed_or_valid_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.note}".strip()


class ConversationStatus(models.TextChoices):
    WAITING = "waiting", _("waiting")
    ACTIVE = "active", _("active")
    CLOSED = "closed", _("closed")


class SystemCloseCode(models.TextChoices):
    """Why the system closed a conversation nobody was serving. A professional's
    reasons are admin-managed (staff.CloseReasonOption) and kept apart, in
    `Conversation.close_reason`."""

    ABANDONED = "abandoned", _("resident left before being served")
    SERVICE_CLOSED = "service_closed", _("service closed")
    # A call-back nobody reached in CALLBACK_MAX_ATTEMPTS tries (callbacks app).
    NOT_REACHED = "not_reached", _("call-back: not reached")


class IdentificationState(models.TextChoices):
    """The state of a conversation's latest identification request (identity app)."""

    REQUESTED = "requested", _("requested")
    STARTED = "started", _("started")
    COMPLETED = "completed", _("identified")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired")


class CallbackSource(models.TextChoices):
    """Why a professional calls the resident instead of chatting."""

    QUEUE = "queue", _("asked to be called back instead of waiting")
    CLOSED = "closed", _("left a contact request while the service was closed")


class CallbackOutcome(models.TextChoices):
    REACHED = "reached", _("reached")
    NO_ANSWER = "no_answer", _("no answer")
    TRY_AGAIN = "try_again", _("try again later")


class ActorKind(models.TextChoices):
    RESIDENT = "resident", _("resident")
    STAFF = "staff", _("professional")
    SYSTEM = "system", _("system")


class Conversation(models.Model):
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="conversations", verbose_name=_("service")
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ConversationStatus.choices,
        default=ConversationStatus.WAITING,
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
        verbose_name=_("professional"),
    )
    resident_name = models.CharField(_("name"), max_length=limits.NAME_MAX)
    resident_phone = models.CharField(_("phone number"), max_length=limits.PHONE_MAX)
    matter = models.CharField(_("matter"), max_length=limits.MATTER_MAX)
    language = models.CharField(
        _("language"), max_length=2, choices=limits.language_choices, default="sv"
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(_("taken"), null=True, blank=True)
    closed_at = models.DateTimeField(_("ended"), null=True, blank=True)
    closed_by = models.CharField(
        _("ended by"), max_length=10, choices=ActorKind.choices, blank=True
    )
    # Exactly one of these is set on a closed conversation, by who closed it.
    close_reason = models.CharField(
        _("close reason"),
        max_length=limits.CLOSE_REASON_MAX,
        blank=True,
        help_text=_("The professional's reason: the code of an admin-managed close reason."),
    )
    system_close_code = models.CharField(
        _("closed by the system because"),
        max_length=20,
        choices=SystemCloseCode.choices,
        blank=True,
    )
    resident_left_at = models.DateTimeField(_("resident left"), null=True, blank=True)
    # Since when the resident has had no open socket (None: connected, or not yet
    # connected after the intake). Waiting conversations gone longer than
    # RESIDENT_GONE_GRACE_SECONDS leave the queue as abandoned.
    resident_disconnected_at = models.DateTimeField(
        _("resident's connection lost"), null=True, blank=True
    )
    last_seq = models.PositiveIntegerField(_("number of messages"), default=0)
    # The highest seq each party's device has shown (receipts): "delivered" survives a reload.
    resident_seen_seq = models.PositiveIntegerField(
        _("shown to the resident up to message"), default=0
    )
    staff_seen_seq = models.PositiveIntegerField(
        _("shown to the professional up to message"), default=0
    )
    # Strong identification (identity app): the latest request's state, its
    # failure code when it failed, and when the person was identified. The person
    # is in identity.IdentityBinding; these are what summaries and queues show.
    identification = models.CharField(
        _("identification"), max_length=10, choices=IdentificationState.choices, blank=True
    )
    identification_failure = models.CharField(
        _("identification failure"), max_length=30, blank=True
    )
    identified_at = models.DateTimeField(_("identified"), null=True, blank=True)
    # An active conversation nobody has written in for a long time is flagged
    # to its professional once (closing sweep); cleared by the next message.
    idle_flagged_at = models.DateTimeField(_("flagged as idle"), null=True, blank=True)
    # A crisis phrase found in the matter or a resident's message (crisis app): the
    # conversation waits at the front of its queue and professionals see the flag
    # until one of them clears it. The phrase is the administrator's, not the text.
    crisis_at = models.DateTimeField(_("crisis phrase found"), null=True, blank=True)
    crisis_phrase = models.CharField(_("crisis phrase"), max_length=120, blank=True)
    # The resident asked for a text message when a professional is ready.
    sms_wanted = models.BooleanField(_("text message when it is my turn"), default=False)
    # A call-back instead of a chat: asked for while waiting, or a contact request
    # left while the service was closed. It keeps its place in the queue.
    callback_source = models.CharField(
        _("call-back"), max_length=10, choices=CallbackSource.choices, blank=True
    )
    callback_at = models.DateTimeField(_("call-back requested"), null=True, blank=True)
    callback_outcome = models.CharField(
        _("call-back outcome"), max_length=10, choices=CallbackOutcome.choices, blank=True
    )
    callback_attempts = models.PositiveSmallIntegerField(_("call-back attempts"), default=0)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["service", "status", "created_at"])]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return f"#{self.pk} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status != ConversationStatus.CLOSED


class Message(models.Model):
    """One chat message. `seq` is gapless per conversation: 1, 2, 3, …"""

    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("conversation"),
    )
    seq = models.PositiveIntegerField(_("no."))
    author_kind = models.CharField(_("written by"), max_length=10, choices=ActorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("professional"),
    )
    body = models.TextField(_("message"))
    client_id = models.CharField(_("client id"), max_length=limits.CLIENT_ID_MAX)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"], name="message_client_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id}/{self.seq}"


class InternalNote(models.Model):
    """A note between professionals. Never sent to a resident's socket and never
    part of the resident's transcript."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField()
    client_id = models.CharField(max_length=limits.CLIENT_ID_MAX)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["conversation", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_id"], name="note_client_id_unique"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id} note {self.pk}"


class EventKind(models.TextChoices):
    CREATED = "created", _("started by the resident")
    CLAIMED = "claimed", _("claimed")
    TRANSFERRED = "transferred", _("transferred")
    RESIDENT_LEFT = "resident_left", _("resident left")
    CLOSED = "closed", _("closed")
    IDENTITY_CODE_MASKED = "identity_code_masked", _("identity code masked")
    RESIDENT_DISCONNECTED = "resident_disconnected", _("resident disconnected")
    RESIDENT_CONNECTED = "resident_connected", _("resident connected again")
    IDENTIFICATION_REQUESTED = "identification_requested", _("identification requested")
    IDENTIFICATION_STARTED = "identification_started", _("identification started")
    IDENTIFICATION_COMPLETED = "identification_completed", _("identified")
    IDENTIFICATION_FAILED = "identification_failed", _("identification failed")
    IDENTIFICATION_CANCELLED = "identification_cancelled", _("identification cancelled")
    IDENTIFICATION_EXPIRED = "identification_expired", _("identification request expired")
    IDLE_FLAGGED = "idle_flagged", _("idle for a long time")
    TRANSCRIPT_QUEUED = "transcript_queued", _("transcript requested by e-mail")
    TRANSCRIPT_SENT = "transcript_sent", _("transcript e-mailed")
    TRANSCRIPT_FAILED = "transcript_failed", _("transcript could not be e-mailed")
    VIDEO_REQUESTED = "video_requested", _("video call requested")
    VIDEO_ACCEPTED = "video_accepted", _("video call accepted")
    VIDEO_DECLINED = "video_declined", _("video call declined")
    VIDEO_EXPIRED = "video_expired", _("video call request expired")
    VIDEO_STARTED = "video_started", _("video call started")
    VIDEO_ENDED = "video_ended", _("video call ended")
    CRISIS_MATCHED = "crisis_matched", _("crisis phrase found")
    CRISIS_CLEARED = "crisis_cleared", _("crisis flag cleared")
    SMS_QUEUED = "sms_queued", _("text message queued")
    SMS_SENT = "sms_sent", _("text message sent")
    SMS_FAILED = "sms_failed", _("text message could not be sent")
    CALLBACK_REQUESTED = "callback_requested", _("call-back requested")
    CONTACT_REQUESTED = "contact_requested", _("contact request left while closed")
    CALLBACK_ATTEMPTED = "callback_attempted", _("call-back attempted")


class ConversationEvent(AppendOnlyModel):
    """Append-only timeline of a conversation: who did what, when.

    Messages are their own append-only log (see Message); this table records
    every other change and is, with the messages, the transcript's source.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"#{self.conversation_id} {self.kind}"


class ResidentConnection(models.Model):
    """One open resident socket, held by one server process (`process`).

    Each process refreshes `last_seen` of all its rows on a timer
    (conversations.connections); rows of a process that died without closing its
    sockets (kill -9) stop being refreshed and are expired by a sweep."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="connections"
    )
    channel_name = models.CharField(max_length=200, unique=True)
    process = models.CharField(max_length=32, db_index=True)
    connected_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"#{self.conversation_id} {self.channel_name}"


class AuditAction(models.TextChoices):
    OPEN_CONVERSATION = "open_conversation", _("opened a conversation")
    VIEW_IN_ADMIN = "view_in_admin", _("viewed a conversation in administration")
    REVEAL_IDENTITY = "reveal_identity", _("revealed identity details")
    DOWNLOAD_ATTACHMENT = "download_attachment", _("downloaded an attachment")
    VIEW_TRANSCRIPT = "view_transcript", _("viewed a transcript")
    EXPORT_AUDIT = "export_audit", _("exported the audit log")
    EXPORT_RESIDENT_DATA = "export_resident_data", _("exported a resident's data")
    ERASE_RESIDENT_DATA = "erase_resident_data", _("erased a resident's data")
    VIEW_REPORT = "view_report", _("viewed a report")


class AuditEntry(AppendOnlyModel):
    """Append-only: who read what, when, from where. Nobody edits or deletes rows.

    It lives in the core so that every app (identity, attachments, transcripts)
    can write it; written only through `conversations.actions.record_audit`.
    `conversation_id` is a plain number so that retention purges of conversations
    leave the audit trail intact."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=30, choices=AuditAction.choices)
    conversation_id = models.PositiveBigIntegerField(
        _("conversation"), null=True, blank=True, db_index=True
    )
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M}"
        return f"{when} {self.user_id} {self.get_action_display()} {self.conversation_id or ''}"


class StatisticOutcome(models.TextChoices):
    HANDLED = "handled", _("handled by a professional")
    ABANDONED = "abandoned", _("left before being served")
    SERVICE_CLOSED = "service_closed", _("service closed before being served")
    NOT_REACHED = "not_reached", _("call-back: not reached")


class ConversationStatistic(models.Model):
    """The anonymous figures of one closed conversation, written in the closing
    transaction. Reports read this table, not conversations, because the
    retention purge deletes conversations: the purge only cuts `conversation`
    (SET_NULL) and the figures stay. Nothing here identifies the resident."""

    conversation = models.OneToOneField(
        Conversation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="statistic",
        verbose_name=_("conversation"),
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    # The professional who closed it (None when nobody took it).
    professional = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("professional"),
    )
    language = models.CharField(_("language"), max_length=2)
    outcome = models.CharField(_("outcome"), max_length=20, choices=StatisticOutcome.choices)
    started_at = models.DateTimeField(_("started"), db_index=True)
    closed_at = models.DateTimeField(_("ended"))
    # From the start to the first claim; from the first claim to the end.
    wait_seconds = models.PositiveIntegerField(_("wait (s)"), null=True, blank=True)
    handling_seconds = models.PositiveIntegerField(_("handling time (s)"), null=True, blank=True)
    transfers = models.PositiveSmallIntegerField(_("transfers"), default=0)
    identified = models.BooleanField(_("identified"), default=False)
    video = models.BooleanField(_("video call"), default=False)
    # A call-back (its source: queue or closed) and how many calls it took.
    callback = models.CharField(
        _("call-back"), max_length=10, choices=CallbackSource.choices, blank=True
    )
    callback_attempts = models.PositiveSmallIntegerField(_("call-back attempts"), default=0)
    # Set once when the resident answers the survey (the answers are kept apart,
    # surveys.SurveyResponse, without any link to the conversation).
    survey_answered = models.BooleanField(_("survey answered"), default=False)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["service", "started_at"])]
        verbose_name = _("conversation statistic")
        verbose_name_plural = _("conversation statistics")

    def __str__(self) -> str:
        return f"{self.service_id} {self.started_at:%Y-%m-%d} {self.outcome}"
