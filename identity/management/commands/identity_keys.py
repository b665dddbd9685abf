"""This service's keys for the OpenID provider (docs/identity.md).

manage.py identity_keys generate > client-jwks.json   # a new private JWK Set
manage.py identity_keys public                        # the JWKS we publish
manage.py identity_keys hetu-key                      # a new IDENTITY_HETU_KEYS key
"""

import json
import secrets

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand

from identity.keys import client_keys, generate_client_jwks


class Command(BaseCommand):
    help = "Generate or show this service's identification keys."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["generate", "public", "hetu-key", "hmac-key"])

    def handle(self, *args, what: str, **options):
        if what == "generate":
            self.stdout.write(json.dumps(generate_client_jwks(), indent=2))
        elif what == "public":
            self.stdout.write(json.dumps(client_keys().public_jwks, indent=2))
        elif what == "hetu-key":
            self.stdout.write(Fernet.generate_key().decode())
        else:
            self.stdout.write(secrets.token_urlsafe(48))
