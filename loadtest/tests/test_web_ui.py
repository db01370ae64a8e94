"""What the project adds to Locust's web UI, over HTTP against a real Locust process
and a Redis of the module's own: one scenario ticked by default, and the fault panel's
edges (the browser test drives its forms)."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from devstack.ports import free_port
from devstack.servers import RedisServer
from loadtest.headless import SCENARIOS
from servicecontracts.faults import Fault, fault_key

from .webui import WebUI, locust_web_ui

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def fault_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with RedisServer(tmp_path_factory.mktemp("redis"), free_port()) as server:
        yield server.url


@pytest.fixture(scope="module")
def web_ui(fault_redis: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebUI]:
    with locust_web_ui(fault_redis, tmp_path_factory.mktemp("locust") / "locust.log") as ui:
        yield ui


def template_args(url: str) -> dict[str, Any]:
    """What Locust's page hands its React app: `window.templateArgs = {...}`."""
    page = httpx.get(url, timeout=10).text
    found = re.search(r"window\.templateArgs = (\{.*\})\s*</script>", page, re.DOTALL)
    assert found, page[:2000]
    result: dict[str, Any] = json.loads(found.group(1))
    return result


def test_every_scenario_is_offered_and_users_read_alone_is_ticked(web_ui: WebUI) -> None:
    args = template_args(web_ui.url)

    # The picker's rows come from `users`, its ticks from `available_user_classes`.
    assert set(args["users"]) == set(SCENARIOS)
    assert args["available_user_classes"] == ["UsersRead"]


def test_the_classes_named_on_the_command_line_are_the_ones_ticked(
    fault_redis: str, tmp_path: Path
) -> None:
    with locust_web_ui(fault_redis, tmp_path / "locust.log", "Jobs", "ItemsMixed") as ui:
        args = template_args(ui.url)

    assert set(args["users"]) == set(SCENARIOS)
    assert args["available_user_classes"] == ["ItemsMixed", "Jobs"]


def test_locusts_page_links_to_the_fault_panel(web_ui: WebUI) -> None:
    page = httpx.get(web_ui.url, timeout=10).text

    assert 'id="fault-panel-link" href="./faults"' in page


def test_blank_fields_are_zero_and_an_all_zero_fault_switches_it_off(
    web_ui: WebUI, fault_redis: str
) -> None:
    store = redis.Redis.from_url(fault_redis)
    form = {"service": "items", "action": "set", "latency_ms": ""}

    httpx.post(f"{web_ui.url}/faults", data={**form, "error_rate": "0.25"})
    stored = store.get(fault_key("items"))
    httpx.post(f"{web_ui.url}/faults", data={**form, "error_rate": "0"})

    assert stored is not None
    assert Fault.model_validate_json(stored) == Fault(error_rate=0.25)
    assert store.exists(fault_key("items")) == 0


def test_an_unknown_service_is_refused(web_ui: WebUI, fault_redis: str) -> None:
    answer = httpx.post(f"{web_ui.url}/faults", data={"service": "billing", "latency_ms": "100"})

    assert answer.status_code == 404
    assert "no service &#39;billing&#39;; one of users, items, tasks" in answer.text
    assert redis.Redis.from_url(fault_redis).keys("faults:*") == []


def test_a_redis_that_does_not_answer_is_said_so(tmp_path: Path) -> None:
    absent = f"redis://127.0.0.1:{free_port()}/0"
    with locust_web_ui(absent, tmp_path / "locust.log") as ui:
        page = httpx.get(f"{ui.url}/faults", timeout=30)
        form = {"service": "users", "latency_ms": "5"}
        written = httpx.post(f"{ui.url}/faults", data=form, timeout=30)

    assert page.status_code == 200
    assert f"Redis at {absent} did not answer" in page.text
    assert written.status_code == 503
    assert "users: not written, Redis did not answer" in written.text
