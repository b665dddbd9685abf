"""Demo staff for development (`manage.py seed_demo`): known passwords."""

from conversations.models import Service
from staff.models import User

PROFESSIONALS = [
    ("anna@example.org", "Anna", "demo-anna-2026", ["health-advice", "family-centre"]),
    ("bertil@example.org", "Bertil", "demo-bertil-2026", ["social-services", "family-centre"]),
]
ADMIN = ("admin@example.org", "Admin", "demo-admin-2026")


def _user(email: str, name: str, password: str, *, superuser: bool) -> User:
    user, _ = User.objects.get_or_create(
        email=email, defaults={"username": email.split("@")[0], "first_name": name}
    )
    user.is_staff = True
    user.is_superuser = superuser
    user.set_password(password)
    user.save()
    return user


def seed_staff(services: dict[str, Service]) -> list[str]:
    """Create the demo accounts; returns lines describing them for the operator."""
    lines = []
    for email, name, password, slugs in PROFESSIONALS:
        user = _user(email, name, password, superuser=False)
        for slug in slugs:
            services[slug].professionals.add(user)
        lines.append(f"professional  {email:<22} {password}  ({', '.join(slugs)})")
    _user(*ADMIN, superuser=True)
    lines.append(f"administrator {ADMIN[0]:<22} {ADMIN[2]}")
    return lines
