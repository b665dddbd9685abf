"""Logging filters for the console handler (settings.LOGGING)."""

import logging


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
