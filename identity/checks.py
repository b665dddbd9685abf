"""Deploy checks (`manage.py check --deploy`): the identification keys load.
Settings only see that the variables are set; these open them."""

from collections.abc import Callable

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security, deploy=True)
def identification_keys(app_configs, **kwargs):
    from identity import crypto, keys

    errors = []
    loaders: list[tuple[str, Callable[[], object]]] = [("identity.E002", crypto.fernet)]
    if settings.IDENTITY_PROVIDER == "oidc":
        loaders.insert(0, ("identity.E001", keys.client_keys))
    for check_id, load in loaders:
        try:
            load()
        except ImproperlyConfigured as problem:
            errors.append(Error(str(problem), id=check_id))
    return errors


@register(Tags.security, deploy=True)
def saml_service_provider(app_configs, **kwargs):
    """With IDENTITY_PROVIDER=saml: xmlsec1 is installed, our key and certificate
    load and match, and a metadata file (when configured) names the identity
    provider. A metadata URL is fetched only when used."""
    if settings.IDENTITY_PROVIDER != "saml":
        return []
    from identity.saml import config, keys

    errors = []
    for check_id, load in (
        ("identity.E003", config.xmlsec_binary),
        ("identity.E004", keys.service_pair),
        ("identity.E005", _idp_metadata_file),
    ):
        try:
            load()
        except ImproperlyConfigured as problem:
            errors.append(Error(str(problem), id=check_id))
    return errors


def _idp_metadata_file() -> None:
    path = settings.IDENTITY_SAML_IDP_METADATA_FILE
    if not path:
        return
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        raise ImproperlyConfigured("IDENTITY_SAML_IDP_METADATA_FILE is not readable.") from None
    if "IDPSSODescriptor" not in text:
        raise ImproperlyConfigured(
            "IDENTITY_SAML_IDP_METADATA_FILE holds no identity provider (IDPSSODescriptor)."
        )
