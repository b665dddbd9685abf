"""Where the bytes live: Django's storage API, configured by ATTACHMENT_STORAGE.

By default a FileSystemStorage under MEDIA_ROOT/attachments (outside the web
root, no base URL: nothing serves it but the authorised download view). An
S3-compatible store is a configuration (ATTACHMENT_STORAGE with django-storages'
backend and its options); the views only use open/save/delete.
"""

from __future__ import annotations

import secrets
from functools import cache

from django.conf import settings
from django.core.files.storage import Storage
from django.core.files.storage.handler import StorageHandler


@cache
def _storage(backend: str, options: tuple) -> Storage:
    return StorageHandler().create_storage({"BACKEND": backend, "OPTIONS": dict(options)})


def attachment_storage() -> Storage:
    config = settings.ATTACHMENT_STORAGE
    options = dict(config.get("OPTIONS", {}))
    if config["BACKEND"] == "django.core.files.storage.FileSystemStorage":
        options.setdefault("location", str(settings.ATTACHMENT_ROOT))
        options.setdefault("base_url", None)
        options.setdefault("file_permissions_mode", 0o600)
        options.setdefault("directory_permissions_mode", 0o700)
    return _storage(config["BACKEND"], tuple(sorted(options.items())))


def new_storage_name(conversation_id: int) -> str:
    """A random name per file, in a folder per conversation: on local disk
    MEDIA_ROOT/attachments/<conversation id>/, the folder the retention purge
    also removes (closing.actions.attachment_dir)."""
    return f"{conversation_id}/{secrets.token_hex(20)}"
