"""SAML 2.0 for Suomi.fi e-Identification: this service as a service provider
(identity.providers.saml), its keys and metadata, and the logout sessions.

pysaml2 logs whole messages, assertions and attribute values at DEBUG (and some
at INFO/ERROR). Nothing of a person may reach the logs, so its loggers are
silenced here, before any of it runs; our own log lines name only which check
failed.
"""

import logging

logging.getLogger("saml2").setLevel(logging.CRITICAL + 10)
logging.getLogger("saml2").propagate = False


def parse_instant(value: str):
    """An xs:dateTime of a SAML message as an aware datetime (ValueError if bad)."""
    import calendar
    from datetime import UTC, datetime

    from saml2.time_util import str_to_time

    if not value:
        raise ValueError("empty")
    try:
        return datetime.fromtimestamp(calendar.timegm(str_to_time(value)), UTC)
    except (TypeError, OverflowError) as error:
        raise ValueError("malformed") from error
