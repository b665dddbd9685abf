"""Fixtures of the chatservice (wiring, production mode) tests."""

import shutil
from pathlib import Path

import pytest

from tests.chatservice.production import DATABASE_FILE, manage, production_env


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """Migrated once per test run; each test gets its own copy."""
    directory = tmp_path_factory.mktemp("production-db")
    result = manage(production_env(directory), "migrate", "-v0")
    assert result.returncode == 0, result.stderr
    return directory / DATABASE_FILE


@pytest.fixture
def migrated(tmp_path, migrated_template) -> dict[str, str]:
    """The environment of a migrated production database without demo accounts."""
    shutil.copy(migrated_template, tmp_path / DATABASE_FILE)
    return production_env(tmp_path)
