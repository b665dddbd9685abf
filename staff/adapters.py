from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class StaffAccountAdapter(DefaultAccountAdapter):
    """Only administrators create staff accounts: there is no public sign-up.
    Logging out leads back to the staff login, in the page's language."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_logout_redirect_url(self, request) -> str:
        # Not the resident's public page: the next professional logs in here.
        return reverse("account_login")
