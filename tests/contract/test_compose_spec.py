"""docker-compose.yml: valid Compose, secrets that fail fast, loopback ports, a working
delivery-report token between the SMS stand-in and notify-svc (issue #17, item 6)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from brokerage_common.auth import TokenVerifier
from sms_gateway_standin import Settings as StandinSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
# Debian's docker-compose (1.29): `config` validates the file against its Compose schema.
DOCKER_COMPOSE = shutil.which("docker-compose")
needs_docker_compose = pytest.mark.skipif(
    DOCKER_COMPOSE is None, reason="docker-compose is not installed (Debian: docker-compose)"
)
# Variables that hold a secret: no default anywhere, ${VAR?message} only.
SECRETS = {"AUTH_JWT_SECRET", "POSTGRES_PASSWORD", "SMS_GATEWAY_KEY", "GRAFANA_ADMIN_PASSWORD"}
VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def load() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return compose


def example_env() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    return dict(pairs)


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation of one value: ${X}, ${X:-default}, ${X-default}, ${X?error}."""

    def one(match: re.Match[str]) -> str:
        name, sep, arg = match[1], match[2] or "", match[3] or ""
        present = env.get(name)
        if sep.startswith(":") and not present:
            present = None
        if present is not None:
            return present
        if sep.endswith("?"):
            raise KeyError(f"{name}: {arg}")
        return arg if sep else ""

    return VARIABLE.sub(one, value).replace("$$", "$")


def environment(service: dict[str, Any], env: dict[str, str]) -> dict[str, str]:
    return {k: interpolate(str(v), env) for k, v in (service.get("environment") or {}).items()}


def compose(*args: str, env_file: Path) -> subprocess.CompletedProcess[str]:
    assert DOCKER_COMPOSE is not None
    clean = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [DOCKER_COMPOSE, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *args],
        capture_output=True,
        text=True,
        env=clean,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


@needs_docker_compose
def test_the_compose_file_validates_with_the_example_env() -> None:
    result = compose("config", "--quiet", env_file=ENV_EXAMPLE)
    assert result.returncode == 0, result.stderr


@needs_docker_compose
def test_compose_stops_at_once_without_the_secrets(tmp_path: Path) -> None:
    partial = tmp_path / "partial.env"
    partial.write_text(
        "".join(f"{k}={v}\n" for k, v in example_env().items() if k != "AUTH_JWT_SECRET")
    )
    result = compose("config", "--quiet", env_file=partial)
    assert result.returncode != 0
    assert "AUTH_JWT_SECRET" in result.stderr
    assert "set AUTH_JWT_SECRET in .env" in result.stderr


def secret_references() -> dict[str, set[str]]:
    """Each secret variable -> the separators it is referenced with in the file."""
    found: dict[str, set[str]] = {}
    for match in VARIABLE.finditer(COMPOSE_FILE.read_text()):
        if match[1] in SECRETS:
            found.setdefault(match[1], set()).add(match[2] or "")
    return found


def test_every_secret_is_required_and_has_no_default() -> None:
    assert secret_references() == {name: {"?"} for name in SECRETS}
    assert set(example_env()) >= SECRETS | {"COMPOSE_PROJECT_NAME"}
    services = load()["services"]
    with pytest.raises(KeyError, match="AUTH_JWT_SECRET"):
        environment(services["tiering-svc-api"], {})
    env = environment(services["tiering-svc-api"], {"AUTH_JWT_SECRET": "s" * 40})
    assert env["AUTH_JWT_SECRET"] == "s" * 40
    assert env["LOG_LEVEL"] == "INFO"


def test_every_published_port_is_on_loopback_only() -> None:
    published = {
        name: [str(port) for port in service.get("ports", [])]
        for name, service in load()["services"].items()
    }
    assert published["postgres"] == ["127.0.0.1:5432:5432"]
    assert published["kafka"] == ["127.0.0.1:9092:9092"]
    for name, ports in published.items():
        for port in ports:
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


def test_the_sms_standin_signs_reports_notify_accepts() -> None:
    """Before: STANDIN_CALLBACK_TOKEN defaulted to empty and every delivery report was a 401."""
    services = load()["services"]
    env = example_env()
    standin = StandinSettings.from_env(environment(services["sms-gateway-standin"], env))
    notify = environment(services["notify-svc-api"], env)
    assert standin.callback_url == "http://notify-svc-api:8004/v1/sms/delivery-reports"
    assert standin.callback_token is not None
    principal = TokenVerifier(secret=notify["AUTH_JWT_SECRET"]).verify(standin.callback_token)
    assert "sms:report" in principal.scopes
    # The key notify sends with is the one the stand-in accepts.
    assert standin.key == notify["SMS_GATEWAY_KEY"] == env["SMS_GATEWAY_KEY"]


def test_notify_settings_under_compose() -> None:
    services = load()["services"]
    env = environment(services["notify-svc-worker"], example_env())
    # mailpit offers no STARTTLS: off here only; notify-svc's default is on.
    assert env["SMTP_START_TLS"] == "false"
    assert env["IM_GROUP_WEBHOOKS"] == "{}"
    assert env["COMPLIANCE_WEBHOOK"] == ""
