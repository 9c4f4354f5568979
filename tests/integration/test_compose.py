"""compose.yaml: accepted by `docker compose config` and shaped as the operators expect."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "compose.yaml"


def compose_command() -> list[str]:
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
    if probe.returncode == 0:
        return ["docker", "compose"]
    legacy = shutil.which("docker-compose")
    assert legacy, "neither `docker compose` nor docker-compose is installed (scripts/test.sh)"
    return [legacy]


def test_compose_config_accepts_the_file() -> None:
    env = {**os.environ, "FLOWER_PASSWORD": "secret"}
    result = subprocess.run(
        [*compose_command(), "-f", str(COMPOSE_FILE), "config", "-q"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_compose_has_the_stack_with_health_checks_and_restart_policies() -> None:
    spec: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    services = spec["services"]
    assert set(services) == {"postgres", "redis", "migrate", "api", "worker", "beat", "flower",
                             "sip"}
    assert services["sip"]["command"] == ["ringback", "sip"]
    assert "5060:5060/udp" in services["sip"]["ports"]
    assert "noeviction" in services["redis"]["command"]
    for name in ("postgres", "redis", "api", "worker"):
        assert "healthcheck" in services[name], name
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["command"] == ["ringback", "migrate"]
    for name in ("api", "worker", "beat", "flower", "sip"):
        assert services[name]["restart"] == "unless-stopped"
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully")
    flower = " ".join(services["flower"]["command"])
    assert "--basic-auth=" in flower
    assert all(p.startswith("127.0.0.1:") for p in services["flower"]["ports"])
