import pytest

from tests.production.servers import Servers, server_env


@pytest.fixture
def servers(transactional_db, tmp_path):
    """Start daphne processes with `servers.start()`; all are killed afterwards,
    before the test database is flushed."""
    group = Servers(env=server_env(tmp_path), log_dir=tmp_path)
    yield group
    group.stop_all()
