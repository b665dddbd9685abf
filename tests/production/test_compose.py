"""The production stack's files, read (this machine has no Docker engine: the
stack itself was not started here; docs/deployment.md says what was run)."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
NGINX = ROOT / "deploy" / "nginx"
# Jobs that run once and are waited for with service_completed_successfully.
ONE_SHOT = {name for name, s in SERVICES.items() if s.get("restart") == "no"}
SECRET_NAMES = re.compile(r"SECRET|PASSWORD|TOKEN|KEY|JWKS", re.IGNORECASE)


def test_the_whole_stack_is_there():
    assert {
        "proxy",
        "web",
        "worker",
        "beat",
        "db",
        "redis",
        "coturn",
        "clamd",
        "mailpit",
        "migrate",
    } <= set(SERVICES)
    assert {"migrate"} == ONE_SHOT
    # The mail catcher only behind a profile: never started in production by accident.
    assert SERVICES["mailpit"]["profiles"] == ["mailcatcher"]


def test_every_long_running_service_has_a_healthcheck():
    for name, service in SERVICES.items():
        if name in ONE_SHOT:
            continue
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name


def test_every_dependency_waits_for_health_or_completion():
    for name, service in SERVICES.items():
        for dependency, condition in (service.get("depends_on") or {}).items():
            wanted = (
                "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            )
            assert condition == {"condition": wanted}, (name, dependency)
    assert set(SERVICES["proxy"]["depends_on"]) == {"web"}
    for name in ("worker", "beat"):
        assert set(SERVICES[name]["depends_on"]) == {"db", "redis", "migrate"}, name
    # web scans uploads inline: it waits for the scanner too.
    assert set(SERVICES["web"]["depends_on"]) == {"db", "redis", "migrate", "clamd"}


def test_web_scales_behind_the_proxy():
    web = SERVICES["web"]
    assert "ports" not in web, "fixed host ports stop `--scale web=N`"
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            assert not str(port).endswith(":8000"), name
    assert web["environment"]["TRUSTED_PROXY_COUNT"].startswith("${TRUSTED_PROXY_COUNT:-1}")
    assert web["environment"]["SERVE_STATIC"] == "false"
    # The beat's schedule is in the database (django-celery-beat), not a file.
    assert "--schedule" not in SERVICES["beat"]["command"]


def _values(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _values(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _values(value, f"{path}[{i}]")
    else:
        yield path, str(node)


def test_no_secret_is_written_in_the_compose_file():
    for path, value in _values(COMPOSE):
        literal = re.sub(r"\$\{[^}]*\}", "", value)
        # Nothing that looks like a key or password (long, letters and digits) is written out.
        for word in re.findall(r"[A-Za-z0-9_+=-]{20,}", literal):
            assert not (re.search(r"\d", word) and re.search(r"[A-Za-z]", word)), path
        name = path.rsplit(".", 1)[-1]
        if SECRET_NAMES.search(name) and not name.endswith("_FILE"):
            # A secret is a reference to the .env file.
            assert re.search(r"\$\{[A-Z_]+:[?-]", value), path
    env = SERVICES["web"]["environment"]
    for name in (
        "DJANGO_SECRET_KEY",
        "METRICS_TOKEN",
        "VIDEO_TURN_SECRET",
        "IDENTITY_HETU_HMAC_KEY",
    ):
        assert re.fullmatch(r"\$\{" + name + r":\?[^}]+\}", env[name]), name
    assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]
    # coturn and web share the TURN REST secret from the same variable.
    assert any("${VIDEO_TURN_SECRET:?" in arg for arg in SERVICES["coturn"]["command"])


def test_the_example_env_file_names_every_variable_the_stack_requires():
    required = set(re.findall(r"\$\{([A-Z_]+):\?", (ROOT / "docker-compose.yml").read_text()))
    example = (ROOT / ".env.example").read_text()
    defined = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert required - defined == set()
    assert "/.env" in (ROOT / ".gitignore").read_text().splitlines()


def _nginx_conf() -> str:
    return "\n".join(p.read_text() for p in sorted(NGINX.glob("*.conf*")))


def _location(conf: str, prefix: str) -> str:
    match = re.search(r"location " + re.escape(prefix) + r" \{(.*?)\n\}", conf, re.DOTALL)
    assert match, prefix
    return match[1]


def test_the_proxy_passes_websocket_upgrades_under_ws():
    conf = (NGINX / "locations.conf").read_text()
    ws = _location(conf, "/ws/")
    assert "proxy_pass http://chat_web;" in ws
    assert "proxy_http_version 1.1;" in ws
    assert "proxy_set_header Upgrade $http_upgrade;" in ws
    assert "proxy_set_header Connection $connection_upgrade;" in ws
    assert re.search(r"proxy_read_timeout (\d+)h;", ws)
    assert "map $http_upgrade $connection_upgrade" in _nginx_conf()
    # The upstream is every web replica, re-resolved (--scale).
    assert re.search(r"server web:8000 resolve", _nginx_conf())


def test_the_proxy_sets_the_forwarded_headers_and_passes_none_from_the_client():
    headers = (NGINX / "proxy-headers.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in headers  # replaced, not appended
    assert "$proxy_add_x_forwarded_for" not in _nginx_conf()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in headers
    assert "proxy_set_header Host $host;" in headers
    for header in ("Forwarded", "X-Forwarded-Host", "X-Real-IP"):
        assert f'proxy_set_header {header} "";' in headers
    for location in ("/ws/", "/"):
        assert "include /etc/nginx/chat/proxy-headers.conf;" in _location(
            (NGINX / "locations.conf").read_text(), location
        )


def test_the_proxy_serves_static_files_with_cache_headers_and_hides_metrics():
    conf = (NGINX / "locations.conf").read_text()
    static = _location(conf, "/static/")
    assert "alias /srv/static/;" in static
    assert re.search(r"Cache-Control \"public, max-age=\d+", static)
    assert re.search(r"location = /metrics \{\s*return 404;", conf)


def test_tls_when_certificates_are_given():
    tls = (NGINX / "tls.conf").read_text()
    assert "listen 443 ssl;" in tls and "ssl_protocols TLSv1.2 TLSv1.3;" in tls
    script = (NGINX / "40-chat-tls.sh").read_text()
    assert "fullchain.pem" in script and "http-redirect.conf" in script


@pytest.mark.parametrize("name", ["web", "worker", "beat", "migrate"])
def test_app_services_run_the_production_settings(name):
    assert SERVICES[name]["environment"]["CHATSERVICE_ENV"] == "production"
