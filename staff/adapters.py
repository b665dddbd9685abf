from allauth.account.adapter import DefaultAccountAdapter


class StaffAccountAdapter(DefaultAccountAdapter):
    """Only administrators create staff accounts: there is no public sign-up."""

    def is_open_for_signup(self, request) -> bool:
        return False
