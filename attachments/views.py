"""Upload (resident and professional) and the authorised download.

Uploads answer JSON: 201 with the attachment, or an error `{"error": {"code",
"message"}}` with a 4xx/503 status; never a 500 for bad input. The gate runs
before the request body is parsed: a refused upload is not read, stored or
scanned. CSRF is checked (X-CSRFToken) before the body is parsed as well; the
size limit before either, from Content-Length.
"""

from __future__ import annotations

import html
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import translation
from django.utils.datastructures import ImmutableList
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from attachments import actions, selectors
from attachments.errors import AttachmentError
from attachments.storage import attachment_storage
from attachments.validation import _size_text
from conversations import clientaddr
from conversations import selectors as conversation_selectors
from conversations.models import ActorKind, Conversation

logger = logging.getLogger(__name__)

# Room for the multipart envelope around the file.
ENVELOPE_BYTES = 64 * 1024


class LimitedUploadHandler(FileUploadHandler):
    """Stops reading a body that grows past the limit (a client may lie in
    Content-Length or send none); the view then answers `too_large`."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.ATTACHMENT_MAX_BYTES:
            self.request.attachment_too_large = True  # type: ignore[union-attr]
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


class NameCheckingParser(MultiPartParser):
    """Django's parser keeps only the last part of a file name. A name that came
    with a path (`../../x.pdf`) is a probe, not a mistake: remember it, so the
    upload is refused (`invalid_name`) instead of quietly renamed."""

    def __init__(self, *args, request: HttpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def sanitize_file_name(self, file_name):
        raw = html.unescape(file_name or "")
        if "/" in raw or "\\" in raw or raw.strip() in (".", ".."):
            self.request.attachment_bad_name = True  # type: ignore[attr-defined]
        return super().sanitize_file_name(file_name)


def _parse_with_name_check(request: HttpRequest):
    def parse_file_upload(meta, post_data):
        request.upload_handlers = ImmutableList(
            request.upload_handlers,
            warning="You cannot alter upload handlers after the upload has been processed.",
        )
        parser = NameCheckingParser(
            meta, post_data, request.upload_handlers, request.encoding, request=request
        )
        return parser.parse()

    request.parse_file_upload = parse_file_upload  # type: ignore[method-assign]


def _error(error: AttachmentError) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": error.code, "message": error.message}}, status=error.status
    )


def _too_large() -> AttachmentError:
    return AttachmentError("too_large", limit=_size_text(settings.ATTACHMENT_MAX_BYTES))


def _precheck(request: HttpRequest) -> None:
    length = request.META.get("CONTENT_LENGTH") or "0"
    try:
        declared = int(length)
    except ValueError:
        declared = 0
    if declared > settings.ATTACHMENT_MAX_BYTES + ENVELOPE_BYTES:
        raise _too_large()
    request.upload_handlers = [LimitedUploadHandler(request), *request.upload_handlers]
    _parse_with_name_check(request)


def _receive(request: HttpRequest, *, conversation_id: int, kind: ActorKind, user) -> JsonResponse:
    """After the gate: the CSRF check (answered in JSON), count the attempt,
    read the one file, hand it on."""
    try:
        if CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, _receive, (), {}):
            raise AttachmentError("csrf_failed")
        actions.check_upload_allowed(
            conversation_id=conversation_id, uploader_kind=kind, uploader=user
        )
        files = request.FILES.getlist("file")
    except RequestDataTooBig:
        raise _too_large() from None
    except (MultiPartParserError, SuspiciousOperation):
        # A body that is no multipart form (no boundary, cut short, too many
        # parts): no file arrived. Answered in JSON like every refusal, not
        # with Django's HTML error page.
        raise AttachmentError("no_file") from None
    if getattr(request, "attachment_too_large", False):
        raise _too_large()
    if getattr(request, "attachment_bad_name", False):
        raise AttachmentError("invalid_name")
    if len(files) != 1:
        raise AttachmentError("no_file")
    upload = files[0]
    if upload.size is None or upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise _too_large()
    data = upload.read()
    attachment = actions.upload_attachment(
        conversation_id=conversation_id,
        uploader_kind=kind,
        uploader=user,
        data=data,
        name=upload.name or "",
        declared_type=upload.content_type or "",
    )
    seq = attachment.message.seq if attachment.message is not None else None
    return JsonResponse({"attachment": selectors.info(attachment), "seq": seq}, status=201)


def _upload(request: HttpRequest, *, conversation_id: int, kind: ActorKind, user) -> HttpResponse:
    try:
        _precheck(request)
        # The gate before the body is parsed (a refused upload is never read).
        if kind == ActorKind.STAFF:
            # "Not yours" and "does not exist" are one answer (not_found), as on
            # the socket: a professional of another service cannot probe ids.
            conversation = conversation_selectors.conversation_for_staff(
                user=user, conversation_id=conversation_id
            )
        else:
            conversation = Conversation.objects.filter(pk=conversation_id).first()
        actions.check_gate(conversation, uploader_kind=kind, uploader=user)
        return _receive(request, conversation_id=conversation_id, kind=kind, user=user)
    except AttachmentError as error:
        return _error(error)


@csrf_exempt  # checked in _receive, after the gate and the size limit
@never_cache
@require_POST
def resident_upload(request: HttpRequest) -> HttpResponse:
    """The resident sends a file in the conversation their session owns."""
    conversation = conversation_selectors.conversation_for_resident(session=request.session)
    if conversation is None:
        return _error(AttachmentError("not_found"))
    with translation.override(conversation.language):
        return _upload(request, conversation_id=conversation.pk, kind=ActorKind.RESIDENT, user=None)


def _is_professional(user) -> bool:
    # The staff socket's rule: an active staff account with a TOTP second factor.
    from staff.selectors import may_use_staff_socket

    return may_use_staff_socket(user=user)


@csrf_exempt  # checked in _receive, after the gate and the size limit
@never_cache
@require_POST
def staff_upload(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """A professional sends a file in an identified conversation assigned to them."""
    if not _is_professional(request.user):
        return _error(AttachmentError("not_found"))
    return _upload(
        request, conversation_id=conversation_id, kind=ActorKind.STAFF, user=request.user
    )


@never_cache
@require_GET
def download(request: HttpRequest, public_id) -> HttpResponse:
    """A clean file, to the conversation's resident (their own session) or a
    professional who may see the conversation (audited). Always a download
    (`Content-Disposition: attachment`), never rendered: `nosniff`, a sandboxing
    CSP and the type from the allow-list."""
    attachment = None
    if request.user.is_authenticated and _is_professional(request.user):
        attachment = selectors.attachment_for_staff(user=request.user, public_id=public_id)
        if attachment is not None:
            actions.record_staff_download(
                user=request.user,
                attachment=attachment,
                address=clientaddr.client_address(request),
            )
    if attachment is None:
        attachment = selectors.attachment_for_resident(session=request.session, public_id=public_id)
    if attachment is None:
        raise Http404
    try:
        with attachment_storage().open(attachment.storage_name, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        logger.warning("attachment file missing (conversation %s)", attachment.conversation_id)
        raise Http404 from None
    content_type = attachment.content_type
    if content_type == "text/plain":
        content_type = "text/plain; charset=utf-8"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=attachment.name) or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    return response
