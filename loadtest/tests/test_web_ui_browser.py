"""The web UI in headless Chromium (Debian's `chromium` and `chromium-driver`), as a
user would: one scenario ticked, Start runs it alone, and the fault panel sets a
service's fault, refuses a bad value and switches it off, checked in Redis."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from devstack.servers import RedisServer
from loadtest.headless import SCENARIOS
from servicecontracts.faults import Fault, fault_key

from .webui import WebUI, locust_web_ui

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

WAIT_SECONDS = 30  # an upper bound on a page or a run reacting, on a busy machine


@pytest.fixture
def web_ui(own_redis: RedisServer, tmp_path: Path) -> Iterator[WebUI]:
    with locust_web_ui(own_redis.url, tmp_path / "locust.log") as ui:
        yield ui


def wait(browser: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(browser, WAIT_SECONDS)


def checkbox_of(browser: WebDriver, scenario: str) -> WebElement:
    row = f"//tr[td[normalize-space()='{scenario}']]"
    return browser.find_element(By.XPATH, f"{row}//input[@type='checkbox']")


def test_start_with_the_defaults_runs_users_read_alone(browser: WebDriver, web_ui: WebUI) -> None:
    browser.get(web_ui.url)
    wait(browser).until(lambda b: checkbox_of(b, "UsersRead"))
    ticked = {scenario: checkbox_of(browser, scenario).is_selected() for scenario in SCENARIOS}
    # Every field as the page offers it (one user), Start pressed.
    browser.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    names: set[str] = set()

    def some_requests_made(_browser: WebDriver) -> bool:
        stats = httpx.get(f"{web_ui.url}/stats/requests", timeout=10).json()["stats"]
        names.update(entry["name"] for entry in stats if entry["name"] != "Aggregated")
        return bool(names)

    try:
        wait(browser).until(some_requests_made)
    finally:
        httpx.post(f"{web_ui.url}/stop", timeout=10)

    assert ticked == {scenario: scenario == "UsersRead" for scenario in SCENARIOS}
    assert names, web_ui.log.read_text()
    assert all(name.startswith("[users] ") and name.endswith(" (async)") for name in names)


def test_the_fault_panel_sets_refuses_and_switches_off(
    browser: WebDriver, web_ui: WebUI, own_redis: RedisServer
) -> None:
    store = redis.Redis.from_url(own_redis.url)
    browser.get(web_ui.url)
    wait(browser).until(expected_conditions.element_to_be_clickable((By.ID, "fault-panel-link")))
    browser.find_element(By.ID, "fault-panel-link").click()
    wait(browser).until(expected_conditions.title_contains("Fault switch"))

    def submit(service: str, action: str, **values: str) -> str:
        for field, value in values.items():
            box = browser.find_element(By.CSS_SELECTOR, f"input[aria-label='{service} {field}']")
            box.clear()
            box.send_keys(value)
        old = browser.find_element(By.TAG_NAME, "html")
        browser.find_element(By.CSS_SELECTOR, f"#set-{service} button[value='{action}']").click()
        wait(browser).until(expected_conditions.staleness_of(old))
        message = (By.ID, "message")
        return str(
            wait(browser).until(expected_conditions.presence_of_element_located(message)).text
        )

    saved = submit("users", "set", latency_ms="100", slow_statement_ms="20")
    stored = store.get(fault_key("users"))
    shown = browser.find_element(By.CSS_SELECTOR, "#fault-users .now").text

    refused = submit("users", "set", latency_ms="200", error_rate="1.5")
    after_refusal = store.get(fault_key("users"))

    off = submit("users", "off")
    shown_off = browser.find_element(By.CSS_SELECTOR, "#fault-users .now").text

    assert saved == "users: saved"
    assert stored is not None
    assert Fault.model_validate_json(stored) == Fault(latency_ms=100, slow_statement_ms=20)
    assert shown == "latency_ms 100 slow_statement_ms 20"
    assert refused == (
        "users: not set, nothing written. error_rate: Input should be less than or equal to 1"
    )
    assert after_refusal == stored
    assert off == "users: saved"
    assert store.exists(fault_key("users")) == 0
    assert shown_off == "off"
    assert store.keys("faults:*") == []
