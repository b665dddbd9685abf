"""Demo staff for development (`manage.py seed_demo`): known passwords and
known TOTP secrets, so that a new user can log in. Never in production."""

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP

from conversations.models import Service
from staff.models import CannedReply, CloseReasonOption, User

# (e-mail, first name, password, TOTP secret (base32), services, supervisor)
PROFESSIONALS = [
    (
        "anna@example.org",
        "Anna",
        "demo-anna-2026",
        "ANNADEMOANNADEMOANNADEMOANNADEMO",
        ["health-advice", "family-centre"],
        False,
    ),
    (
        "bertil@example.org",
        "Bertil",
        "demo-bertil-2026",
        "BERTILDEMOBERTILDEMOBERTILDEMOBE",
        ["social-services", "family-centre"],
        True,
    ),
]
ADMIN = ("admin@example.org", "Admin", "demo-admin-2026", "ADMINDEMOADMINDEMOADMINDEMOADMIN")
# The languages each serves in (language-aware routing; their profile page changes it).
LANGUAGES = {"anna@example.org": ["sv", "fi"], "bertil@example.org": ["fi", "en"]}

CLOSE_REASONS = [
    ("guidance-given", "Handledning given", "Ohjausta annettu", "Guidance given"),
    (
        "follow-up-booked",
        "Identifierad, uppföljning bokad",
        "Tunnistettu, jatkoaika varattu",
        "Identified, follow-up booked",
    ),
    (
        "referred-emergency",
        "Hänvisad till jour",
        "Ohjattu päivystykseen",
        "Referred to emergency care",
    ),
    ("inappropriate", "Olämpligt beteende", "Asiaton käytös", "Inappropriate conduct"),
    ("no-answer", "Invånaren svarade inte", "Asukas ei vastannut", "Resident did not answer"),
]

CANNED = [
    (
        "hello",
        "sv",
        "Hälsning",
        "Hej! Jag heter {name} och är yrkesperson här. Hur kan jag hjälpa dig?",
    ),
    ("hello", "fi", "Tervehdys", "Hei! Olen {name}, ammattilainen. Miten voin auttaa?"),
    ("hello", "en", "Greeting", "Hello! I am {name}, a professional here. How can I help you?"),
    (
        "identify",
        "sv",
        "Identifiering",
        "För att ge personlig handledning behöver jag att du identifierar dig. Jag skickar en länk.",
    ),
    (
        "identify",
        "fi",
        "Tunnistautuminen",
        "Henkilökohtaista ohjausta varten sinun tulee tunnistautua. Lähetän linkin.",
    ),
    (
        "identify",
        "en",
        "Identification",
        "To give personal guidance I need you to identify yourself. I will send you a link.",
    ),
    ("112", "sv", "Nödsituation", "Om det är en nödsituation, ring genast 112."),
    ("112", "fi", "Hätätilanne", "Jos kyseessä on hätätilanne, soita heti 112."),
    ("112", "en", "Emergency", "If this is an emergency, call 112 now."),
]


def _user(
    email: str, name: str, password: str, secret: str, *, superuser: bool, supervisor: bool = False
) -> User:
    user, _ = User.objects.get_or_create(
        email=email, defaults={"username": email.split("@")[0], "first_name": name}
    )
    user.is_staff = True
    user.is_superuser = superuser
    user.is_supervisor = supervisor or superuser
    user.set_password(password)
    user.save()
    Authenticator.objects.filter(user=user).delete()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return user


def seed_staff(services: dict[str, Service]) -> list[str]:
    """Create the demo accounts, close reasons and canned replies; returns lines
    describing the accounts for the operator."""
    lines = []
    for email, name, password, secret, slugs, supervisor in PROFESSIONALS:
        user = _user(email, name, password, secret, superuser=False, supervisor=supervisor)
        user.languages = LANGUAGES.get(email, [])
        user.save(update_fields=["languages"])
        for slug in slugs:
            services[slug].professionals.add(user)
        role = "supervisor" if supervisor else "professional"
        lines.append(
            f"{role:<13} {email:<20} {password:<17} TOTP secret {secret}  ({', '.join(slugs)})"
        )
    _user(*ADMIN, superuser=True)
    lines.append(f"{'administrator':<13} {ADMIN[0]:<20} {ADMIN[2]:<17} TOTP secret {ADMIN[3]}")
    for order, (code, sv, fi, en) in enumerate(CLOSE_REASONS):
        CloseReasonOption.objects.update_or_create(
            code=code, defaults={"label_sv": sv, "label_fi": fi, "label_en": en, "ordering": order}
        )
    for order, (shortcut, language, title, body) in enumerate(CANNED):
        CannedReply.objects.update_or_create(
            shortcut=shortcut,
            language=language,
            service=None,
            defaults={"title": title, "body": body, "ordering": order},
        )
    return lines
