"""The default phrases and lines the data migration installs: a transactional test
elsewhere empties the tables (flush), so every crisis test loads them again."""

import importlib

import pytest
from django.apps import apps

from crisis import selectors

defaults = importlib.import_module("crisis.migrations.0002_defaults")


@pytest.fixture(autouse=True)
def default_phrases(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if marker is not None or transactional:
        request.getfixturevalue("transactional_db" if transactional else "db")
        defaults.add(apps, None)
    selectors.forget_phrases()
    yield
    selectors.forget_phrases()
