"""Logging filters for the console handler (settings.LOGGING)."""

import logging
import re


class ClientErrorFilter(logging.Filter):
    """Drop the traceback from the log line of an ordinary client error.

    Django logs a 403 (PermissionDenied), a 400 (BadRequest, a refused Host
    header and other SuspiciousOperations) with the exception attached, so every
    forbidden click or scanner request printed a full traceback. Such a record
    carries the response's status code (django.utils.log.log_response); below
    500 it keeps its one line ("Forbidden (Permission denied): /staff/…") and
    loses the traceback. Real errors (500 and everything without a status code)
    pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500 and record.exc_info:
            exc = record.exc_info[1]
            record.exc_info = None
            record.exc_text = None
            detail = str(exc) if exc is not None else ""
            if exc is not None and detail and detail not in record.getMessage():
                # Keep the exception's own words (no traceback), e.g. the reason for a 400.
                record.msg = f"{record.getMessage()} ({type(exc).__name__}: {detail})"
                record.args = None
        return True


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# +358 40 123 4567, 00358401234567, 040-123 4567, 0401234567 (not dates or ids).
PHONE = re.compile(r"(?<![\w.:/-])(?:(?:\+|00)\d{1,3}[ -]?|0)\d{1,3}(?:[ -]?\d){5,9}(?![\w.:/-])")


def mask_personal_data(text: str) -> str:
    """Identity codes, e-mail addresses and phone numbers in a log line, masked.

    Log lines carry ids and codes only, by design (tests/production/test_logs.py
    checks a whole conversation's logs). This is the last line of defence for
    what a library or an exception message puts there anyway, e.g. a database
    error quoting a row. Names and message bodies cannot be recognised by their
    shape: those must never be logged in the first place."""
    from identity import hetu

    text, _ = hetu.mask(text)
    text = EMAIL.sub("[email]", text)
    return PHONE.sub("[phone]", text)


class MaskingFormatter(logging.Formatter):
    """The plain one-line format, with personal data masked (mask_personal_data).
    Masking happens when the line is written; the record itself is not changed
    (other handlers, e.g. an error reporter, get it as it was)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_personal_data(super().format(record))
