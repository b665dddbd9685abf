"""This service's SAML key and certificate, and its metadata.

manage.py identity_saml_keys generate --cn chat.example.fi --out /run/secrets/saml
    writes saml.key (0600) and saml.crt: an RSA-3072 key and a self-signed
    certificate valid two years (enough for Suomi.fi's test environment;
    production uses a certificate from a CA, with the same key).
manage.py identity_saml_keys metadata --base-url https://chat.example.fi
    prints our SP metadata as configured (the file to send to Suomi.fi).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from identity.providers.base import Site
from identity.saml.keys import generate_pair, write_private


class Command(BaseCommand):
    help = "Generate this service's SAML key and certificate, or print its SAML metadata."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        generate = sub.add_parser("generate")
        generate.add_argument("--cn", required=True, help="the service's host name")
        generate.add_argument("--out", required=True, help="directory for saml.key and saml.crt")
        generate.add_argument("--days", type=int, default=730)
        metadata = sub.add_parser("metadata")
        metadata.add_argument("--base-url", default="", help="https://<chat host>")

    def handle(self, *args, **options):
        if options["action"] == "generate":
            out = Path(options["out"])
            out.mkdir(parents=True, exist_ok=True)
            key_path, cert_path = out / "saml.key", out / "saml.crt"
            if key_path.exists() or cert_path.exists():
                raise CommandError(f"{key_path} or {cert_path} exists already: not overwritten.")
            key_pem, cert_pem = generate_pair(options["cn"], days=options["days"])
            write_private(key_path, key_pem)
            cert_path.write_bytes(cert_pem)
            self.stdout.write(f"wrote {key_path} (private, 0600) and {cert_path}\n")
            return
        from django.conf import settings

        from identity.saml.config import sp_metadata_xml

        base = options["base_url"] or settings.IDENTITY_SAML_BASE_URL
        if not base:
            raise CommandError("Give --base-url or set IDENTITY_SAML_BASE_URL.")
        self.stdout.write(sp_metadata_xml(Site(origin=base.rstrip("/"))))
