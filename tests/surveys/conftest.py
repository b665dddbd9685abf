from tests.closing.conftest import closed, eager_celery  # noqa: F401 - shared fixtures
