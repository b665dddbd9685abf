"""Suomi.fi's SAML vocabulary (../shared/reference/identity.md)."""

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_TRANSIENT
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

__all__ = [
    "BINDING_HTTP_POST",
    "BINDING_HTTP_REDIRECT",
    "DIGEST_SHA256",
    "NAMEID_FORMAT_TRANSIENT",
    "NAME_FORMAT_URI",
    "SIG_RSA_SHA256",
]

HETU = "urn:oid:1.2.246.21"
CN = "urn:oid:2.5.4.3"
DISPLAY_NAME = "urn:oid:2.16.840.1.113730.3.1.241"
GIVEN_NAME = "urn:oid:2.5.4.42"
SURNAME = "urn:oid:2.5.4.4"
FIRST_NAMES = "http://eidas.europa.eu/attributes/naturalperson/CurrentGivenName"
EIDAS_FAMILY_NAME = "http://eidas.europa.eu/attributes/naturalperson/CurrentFamilyName"
EIDAS_DATE_OF_BIRTH = "http://eidas.europa.eu/attributes/naturalperson/DateOfBirth"
EIDAS_PERSON_ID = "http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier"
MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
ADDRESS_BAN = "urn:oid:1.2.246.517.2002.2.27"

# The only attributes read from an assertion; everything else (addresses, mail,
# the address-information ban's details) is ignored and never stored.
READ_ATTRIBUTES = (
    HETU,
    CN,
    GIVEN_NAME,
    SURNAME,
    FIRST_NAMES,
    EIDAS_FAMILY_NAME,
    EIDAS_DATE_OF_BIRTH,
    EIDAS_PERSON_ID,
)

# The UI language extension of Suomi.fi's AuthnRequest.
VETUMA_NS = "urn:vetuma:SAML:2.0:extensions"

# Second-level status Suomi.fi uses when the person cancels.
STATUS_AUTHN_FAILED = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"

# The RSA signature algorithms accepted on redirect-binding messages.
REDIRECT_SIG_ALGS = (SIG_RSA_SHA256, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512")
