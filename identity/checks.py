"""Deploy checks (`manage.py check --deploy`): the identification keys load.
Settings only see that the variables are set; these open them."""

from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security, deploy=True)
def identification_keys(app_configs, **kwargs):
    from identity import crypto, keys

    errors = []
    for check_id, load in (("identity.E001", keys.client_keys), ("identity.E002", crypto.fernet)):
        try:
            load()
        except ImproperlyConfigured as problem:
            errors.append(Error(str(problem), id=check_id))
    return errors
