"""Forms of the professional's side: the TOTP step of the login and the
administrator's staff-user forms."""

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, validate_totp_code
from allauth.mfa.utils import decrypt
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm, UsernameField
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from staff.models import User

CODE_ALREADY_USED = _(
    "This code has already been used. Wait until your authenticator app shows the next "
    "code (a new one comes every 30 seconds) and enter that."
)


class _TellReusedCode:
    """allauth answers "incorrect code" also for a right code that was already
    used (it remembers used codes, so that an overheard code cannot be
    replayed). Tell the professional which it is, so that they wait for the next
    code instead of doubting their app. The code still counts as a failed
    attempt for the rate limit."""

    user: User
    authenticator: Authenticator

    def clean_code(self) -> str:
        try:
            code = super().clean_code()  # type: ignore[misc]
        except forms.ValidationError as error:
            # Not for the rate limit's error: that one stands.
            if error.code == "incorrect_code" and self._is_current_code():
                raise forms.ValidationError(CODE_ALREADY_USED, code="code_already_used") from None
            raise
        self._remember_used_for_its_whole_validity(code)
        return code

    def _remember_used_for_its_whole_validity(self, code: str) -> None:
        """allauth remembers a used code for one period (30 s), but with
        MFA_TOTP_TOLERANCE a code is accepted for 2 × tolerance + 1 periods: a
        code used once could be replayed 30 s later. Remember it that long."""
        if self.authenticator.type != Authenticator.Type.TOTP:
            return
        valid_for = mfa_settings.TOTP_PERIOD * (2 * mfa_settings.TOTP_TOLERANCE + 1)
        # allauth's own key (a private method): the refusal stays allauth's.
        key = TOTP(self.authenticator)._get_used_cache_key(code)
        cache.set(key, "y", timeout=valid_for)

    def _is_current_code(self) -> bool:
        """The code is right for this moment (so it was refused as used)."""
        code = self.cleaned_data.get("code", "")  # type: ignore[attr-defined]
        totp = Authenticator.objects.filter(user=self.user, type=Authenticator.Type.TOTP).first()
        return bool(code and totp and validate_totp_code(decrypt(totp.data["secret"]), code))


class StaffAuthenticateForm(_TellReusedCode, AuthenticateForm):
    pass


class StaffReauthenticateForm(_TellReusedCode, ReauthenticateForm):
    pass


class _UniqueEmail(forms.ModelForm):
    """Staff log in by e-mail: every account has one, and no two differ only in
    case (allauth looks addresses up case-insensitively). Stored in lower case."""

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _("A staff user with this e-mail address already exists."), code="unique"
            )
        return email


class StaffUserCreationForm(_UniqueEmail, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("username", "email")
        field_classes = {"username": UsernameField}


class LanguagesField(forms.MultipleChoiceField):
    """The languages a professional serves in: boxes to tick, stored as a list of codes."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Languages I serve in"))
        kwargs.setdefault(
            "help_text",
            _("Residents of these languages come first in your queue. None ticked: all languages."),
        )
        super().__init__(
            choices=settings.LANGUAGES,
            widget=forms.CheckboxSelectMultiple,
            required=False,
            **kwargs,
        )


class StaffUserChangeForm(_UniqueEmail, UserChangeForm):
    languages = LanguagesField(label=_("languages served in"))

    class Meta:
        model = User
        # The admin's fieldsets decide the fields shown; these are the base.
        fields = ("username", "email", "password")
        field_classes = {"username": UsernameField}


class LanguagesForm(forms.ModelForm):
    """The professional's own choice of languages (their profile)."""

    languages = LanguagesField()

    class Meta:
        model = User
        fields = ["languages"]
