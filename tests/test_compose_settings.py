"""The deployment files start the server with the settings they promise.

No Docker engine runs here, so compose.yaml's environment is interpolated the way `docker compose`
does (`${VAR:-default}`, `${VAR-default}`, `${VAR}`, `$$`) and handed to `Settings`; the
Dockerfile's ENV lines with `docker run -e NEWSQA_API_KEYS=...` likewise.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
from pathlib import Path

import pytest
import yaml

from newsqa.settings import Settings

REPO = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?:(:?-)([^}]*))?\}|\$(\w+)")


def interpolate(value: str, shell: dict[str, str]) -> str:
    """Compose's variable substitution of `value` from the `shell` environment."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        given = shell.get(name)
        if match.group(2) == ":-" and not given:
            return match.group(3)
        if match.group(2) == "-" and given is None:
            return match.group(3)
        return given or ""

    return VARIABLE.sub(replace, value)


def service_env(service: str, shell: dict[str, str]) -> dict[str, str]:
    environment = COMPOSE["services"][service]["environment"]
    return {name: interpolate(str(value), shell) for name, value in environment.items()}


def settings_from(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """`Settings()` as a process started with exactly these NEWSQA_* variables builds it."""
    for name in list(os.environ):
        if name.startswith("NEWSQA_"):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_interpolation_follows_compose() -> None:
    shell = {"SET": "v", "EMPTY": ""}
    cases = {"${SET:-d}": "v", "${EMPTY:-d}": "d", "${EMPTY-d}": "", "${UNSET-d}": "d", "$SET/$$x": "v/$x"}
    assert {text: interpolate(text, shell) for text in cases} == cases


class TestComposeEnvironment:
    @pytest.mark.parametrize(
        ("shell_keys", "keys"),
        [
            ({"NEWSQA_API_KEYS": "k1,k2"}, ["k1", "k2"]),
            ({"NEWSQA_API_KEYS": '["k1", "k2"]'}, ["k1", "k2"]),
            ({"NEWSQA_API_KEYS": "change-me"}, ["change-me"]),
            ({}, []),  # compose always sets the variable: empty when the shell has none
        ],
    )
    @pytest.mark.parametrize("service", ["api", "seed"])
    def test_services_start_with_the_keys_of_the_shell(
        self, monkeypatch: pytest.MonkeyPatch, service: str, shell_keys: dict[str, str], keys: list[str]
    ) -> None:
        settings = settings_from(service_env(service, shell_keys), monkeypatch)
        assert settings.api_keys == keys and settings.chroma_url == "http://chroma:8000"

    def test_limits_are_on(self, monkeypatch: pytest.MonkeyPatch) -> None:
        settings = settings_from(service_env("api", {}), monkeypatch)
        limits = (settings.rate_limit_per_minute, settings.read_rate_limit_per_minute)
        assert min(limits + (settings.write_rate_limit_per_minute, settings.auth_failures_per_minute)) > 0

    @pytest.mark.parametrize("shell", [{}, {"NEWSQA_SUBNET": "10.77.0.0/16"}])
    def test_only_the_compose_network_is_a_trusted_proxy(
        self, monkeypatch: pytest.MonkeyPatch, shell: dict[str, str]
    ) -> None:
        environment = service_env("api", shell)
        assert "FORWARDED_ALLOW_IPS" not in environment
        (subnet,) = [
            interpolate(c["subnet"], shell) for c in COMPOSE["networks"]["default"]["ipam"]["config"]
        ]
        assert settings_from(environment, monkeypatch).trusted_proxies == [subnet]
        assert ipaddress.ip_network(subnet).is_private
        for name in ("api", "proxy"):  # both on the default network, so nginx's address is in it
            assert (
                "networks" not in COMPOSE["services"][name]
                and "network_mode" not in COMPOSE["services"][name]
            )

    def test_nginx_sets_the_client_address_itself(self) -> None:
        nginx = interpolate(COMPOSE["configs"]["nginx"]["content"], {})
        headers = dict(re.findall(r"proxy_set_header\s+(\S+)\s+([^;]+);", nginx))
        assert headers["X-Forwarded-For"] == "$remote_addr" and headers["X-Real-IP"] == "$remote_addr"


def dockerfile_env() -> dict[str, str]:
    """The ENV of the Dockerfile's final stage."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    final_stage = text.rsplit("\nFROM ", 1)[1]
    environment: dict[str, str] = {}
    for line in final_stage.splitlines():
        if line.startswith("ENV "):
            environment.update(pair.split("=", 1) for pair in shlex.split(line[4:]))
    return environment


@pytest.mark.parametrize("keys", ["k1,k2", '["k1","k2"]'])
def test_docker_run_with_keys(monkeypatch: pytest.MonkeyPatch, keys: str) -> None:
    environment = dockerfile_env()
    assert environment["NEWSQA_DATA_DIR"] == "/data"
    settings = settings_from({**environment, "NEWSQA_API_KEYS": keys}, monkeypatch)
    assert settings.api_keys == ["k1", "k2"] and settings.port == 8000
