"""The API consumers' settings of the gateway (CORS, per-client limits, compression) mean
the same under `make run` (devstack.gateway_edge) and in the image (gateway/entrypoint.sh):
the same defaults, the same files for the same values, the same refusals. What nginx does
with them: test_gateway_cors.py, test_gateway_limits.py, test_gateway_compression.py."""

import contextlib
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from clusterkit.gateway_renders import (
    ENTRYPOINT,
    EntrypointRefused,
    by_devstack,
    by_entrypoint,
    entrypoint_environment,
)
from devstack.gateway import Gateway
from devstack.gateway_edge import DEFAULTS, EdgeSettingError, EdgeSettings
from devstack.ports import free_port
from devstack.services import SERVICES
from devstack.stack import Stack
from devstack.supervisor import Supervisor

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(shutil.which("envsubst") is None, reason="envsubst (gettext-base) missing"),
]

BASE = {
    "GATEWAY_LISTEN": "127.0.0.1:18080",
    "USERS_UPSTREAM": "127.0.0.1:18001",
    "ITEMS_UPSTREAM": "127.0.0.1:18002",
    "TASKS_UPSTREAM": "127.0.0.1:18003",
}


def both_ways(tmp_path: Path, settings: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    environment = BASE | settings
    return by_devstack(environment, tmp_path / "make-run"), by_entrypoint(
        environment, tmp_path / "image"
    )


def test_the_defaults_are_one_set(tmp_path: Path) -> None:
    devstack, image = both_ways(tmp_path, {})

    assert devstack == image
    assert EdgeSettings.from_environ({}) == EdgeSettings()
    # No origin is allowed and no client is limited unless asked.
    assert image["cors-origins.conf"] == ""
    assert image["client-limits.conf"] == ""
    assert "gzip_min_length 1024;" in image["nginx.conf"]


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param(
            {
                "GATEWAY_CORS_ORIGINS": "https://app.example, http://127.0.0.1:3000 http://[::1]:8",
                "GATEWAY_CORS_METHODS": "GET, POST",
                "GATEWAY_CORS_HEADERS": "Authorization,X-Trace",
                "GATEWAY_CORS_MAX_AGE": "0",
                "GATEWAY_READ_RATE": "20",
                "GATEWAY_READ_BURST": "0",
                "GATEWAY_WRITE_RATE": "3",
                "GATEWAY_WRITE_BURST": "7",
                "GATEWAY_GZIP_MIN_BYTES": "0",
                "GATEWAY_GZIP_LEVEL": "9",
                "GATEWAY_TRUSTED_PROXIES": "10.0.0.0/8",
            },
            id="every-setting",
        ),
        pytest.param({"GATEWAY_CORS_ORIGINS": "*"}, id="any-origin"),
        pytest.param({"GATEWAY_WRITE_RATE": "1"}, id="writes-only"),
        pytest.param(dict.fromkeys(DEFAULTS, ""), id="empty-is-the-default"),
    ],
)
def test_make_run_and_the_image_render_the_same(tmp_path: Path, settings: dict[str, str]) -> None:
    devstack, image = both_ways(tmp_path, settings)

    assert devstack == image


def test_the_files_say_what_the_settings_say(tmp_path: Path) -> None:
    _, image = both_ways(
        tmp_path,
        {
            "GATEWAY_CORS_ORIGINS": "https://app.example,http://127.0.0.1:3000",
            "GATEWAY_CORS_METHODS": "GET, POST",
            "GATEWAY_WRITE_RATE": "3",
            "GATEWAY_WRITE_BURST": "7",
        },
    )

    assert image["cors-origins.conf"].splitlines() == [
        '"https://app.example" $http_origin;',
        '"http://127.0.0.1:3000" $http_origin;',
    ]
    assert image["client-limits.conf"].splitlines() == [
        "limit_req_zone $gateway_write_client zone=gateway_writes:10m rate=3r/s;",
        "limit_req zone=gateway_writes burst=7 nodelay;",
    ]
    assert "1 GET,POST;" in image["nginx.conf"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATEWAY_CORS_ORIGINS", "app.example"),
        ("GATEWAY_CORS_ORIGINS", "https://app.example/"),
        ("GATEWAY_CORS_ORIGINS", "https://app.example/path"),
        ("GATEWAY_CORS_ORIGINS", "https://*.example"),
        ("GATEWAY_CORS_ORIGINS", "null"),
        ("GATEWAY_CORS_ORIGINS", 'https://a.example";include'),
        ("GATEWAY_CORS_ORIGINS", "*, https://app.example"),
        ("GATEWAY_CORS_METHODS", "get"),
        ("GATEWAY_CORS_METHODS", "GET;POST"),
        ("GATEWAY_CORS_HEADERS", "X-A: b"),
        ("GATEWAY_CORS_MAX_AGE", "-1"),
        ("GATEWAY_CORS_MAX_AGE", "1h"),
        ("GATEWAY_READ_RATE", "10r/s"),
        ("GATEWAY_READ_BURST", "1.5"),
        ("GATEWAY_WRITE_RATE", "-3"),
        ("GATEWAY_WRITE_BURST", "x"),
        ("GATEWAY_GZIP_MIN_BYTES", "1k"),
        ("GATEWAY_GZIP_LEVEL", "0"),
        ("GATEWAY_GZIP_LEVEL", "10"),
    ],
)
def test_a_bad_value_is_refused_with_one_line_both_ways(
    tmp_path: Path, name: str, value: str
) -> None:
    with pytest.raises(EdgeSettingError) as refused:
        EdgeSettings.from_environ({name: value})
    assert str(refused.value).startswith(f"{name}: ")
    assert len(str(refused.value).splitlines()) == 1

    with pytest.raises(EntrypointRefused) as stopped:
        by_entrypoint(BASE | {name: value}, tmp_path)
    assert str(stopped.value).startswith(f"gateway: {name}: ")
    assert len(str(stopped.value).splitlines()) == 1


def test_the_image_stops_on_a_bad_value_before_nginx_runs(tmp_path: Path) -> None:
    # `true` stands in for nginx: it must not be reached.
    marker = tmp_path / "reached"
    environment = BASE | {"GATEWAY_CORS_ORIGINS": "app.example"}
    done = subprocess.run(
        ["sh", str(ENTRYPOINT), "touch", str(marker)],
        env=entrypoint_environment(environment, tmp_path / "runtime"),
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 64
    assert not marker.exists()


def test_make_run_refuses_a_bad_setting_before_anything_starts(tmp_path: Path) -> None:
    environ = {
        "PATH": "/usr/bin:/bin",
        # Nothing answers here: had the stack gone that far, it would start a server.
        "POSTGRES_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/postgres",
        "GATEWAY_CORS_ORIGINS": "app.example",
    }
    supervisor = Supervisor(io.StringIO())
    with contextlib.ExitStack() as exits:
        stack = Stack(tmp_path, environ, supervisor, exits, SERVICES, data=tmp_path / "data")
        with pytest.raises(EdgeSettingError, match=r"GATEWAY_CORS_ORIGINS: 'app\.example'"):
            stack.start()

    assert not (tmp_path / "data").exists()


def test_the_rendered_config_passes_nginx_t_with_every_setting(tmp_path: Path) -> None:
    settings = {
        "GATEWAY_CORS_ORIGINS": "https://app.example",
        "GATEWAY_READ_RATE": "5",
        "GATEWAY_READ_BURST": "0",
        "GATEWAY_WRITE_RATE": "1",
    }
    upstreams = {"users": "127.0.0.1:18001", "items": "127.0.0.1:18002", "tasks": "127.0.0.1:18003"}
    gateway = Gateway(
        tmp_path, "127.0.0.1:18080", upstreams, edge=EdgeSettings.from_environ(settings)
    )

    gateway.prepare()  # raises GatewayError with nginx's complaint
