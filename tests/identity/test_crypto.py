"""Identity codes at rest: encrypted with rotatable keys, looked up by a keyed hash."""

import hashlib

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from identity import actions, crypto
from identity.models import IdentityBinding

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_a_code_is_encrypted_not_encoded():
    ciphertext = crypto.encrypt_hetu("010280-952L")
    assert "010280" not in ciphertext
    assert crypto.encrypt_hetu("010280-952L") != ciphertext  # fresh IV each time
    assert crypto.decrypt_hetu(ciphertext) == "010280-952L"


def test_the_keyed_hash_needs_the_key(settings):
    settings.IDENTITY_HETU_HMAC_KEY = "a" * 40
    first = crypto.hetu_digest("010280-952L")
    assert first != hashlib.sha256(b"010280-952L").hexdigest()
    settings.IDENTITY_HETU_HMAC_KEY = "b" * 40
    assert crypto.hetu_digest("010280-952L") != first


def test_the_century_sign_is_part_of_the_identity():
    assert crypto.hetu_digest("100190-999P") != crypto.hetu_digest("100190Y999P")


def test_codes_and_subjects_never_collide():
    assert crypto.hetu_digest("oidc\x00iss\x00sub") != crypto.subject_digest(
        provider="oidc", issuer="iss", subject="sub"
    )


def test_old_keys_still_decrypt_after_a_new_key_is_put_first(settings):
    settings.IDENTITY_HETU_KEYS = [OLD]
    ciphertext = crypto.encrypt_hetu("010280-952L")
    settings.IDENTITY_HETU_KEYS = [NEW, OLD]
    assert crypto.decrypt_hetu(ciphertext) == "010280-952L"
    settings.IDENTITY_HETU_KEYS = [NEW]
    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt_hetu(ciphertext)


@pytest.mark.django_db
def test_rotation_re_encrypts_stored_codes_with_the_newest_key(flow, settings):
    settings.IDENTITY_HETU_KEYS = [OLD]
    flow.identify()
    settings.IDENTITY_HETU_KEYS = [NEW, OLD]
    settings.IDENTITY_HETU_HMAC_KEY = "c" * 40

    assert actions.reencrypt_identity_codes() == 1

    settings.IDENTITY_HETU_KEYS = [NEW]  # the old key can go now
    binding = IdentityBinding.objects.get()
    assert crypto.decrypt_hetu(binding.hetu_ciphertext) == "010280-952L"
    assert binding.hetu_digest == crypto.hetu_digest("010280-952L")


def test_a_malformed_key_names_the_variable(settings):
    settings.IDENTITY_HETU_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="IDENTITY_HETU_KEYS"):
        crypto.encrypt_hetu("010280-952L")
