"""/openapi.json and /docs through the real gateway in front of the real services
(`local_stack`, what `make run` starts): the gateway serves the kept document, which is
what the running services answer merged; every path in it reaches its service; nothing
private is public; Swagger UI works from the gateway's own files in a browser; and
schemathesis, reading the merged document from the gateway, finds nothing in either
mode."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from apidocs.api_document import document_path
from apidocs.openapi_merge import HTTP_METHODS, merge
from testkit.api_fuzzing import run_schemathesis
from testkit.assertions import assert_problem
from testkit.local_stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

WAIT_SECONDS = 30  # an upper bound on the page reacting, on a busy machine
DEMO = {"username": "demo@example.com", "password": "demo-password"}


@pytest.fixture(scope="module")
def gateway(local_stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_stack.gateway_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def served(gateway: httpx.Client) -> dict[str, Any]:
    body: dict[str, Any] = gateway.get("/openapi.json").raise_for_status().json()
    return body


def test_the_gateway_serves_the_kept_document_as_json(gateway: httpx.Client) -> None:
    response = gateway.get("/openapi.json")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"]
    assert response.text == document_path().read_text()


def test_it_is_what_the_running_services_answer_merged(
    local_stack: LocalStack, served: dict[str, Any]
) -> None:
    live = {
        name: httpx.get(f"{url}/openapi.json", timeout=30).raise_for_status().json()
        for name, url in local_stack.service_urls.items()
    }

    assert sorted(live) == ["items", "tasks", "users"]
    assert merge(live) == served


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_path_reaches_its_service_which_allows_the_documented_methods(
    gateway: httpx.Client, served: dict[str, Any]
) -> None:
    for path, item in served["paths"].items():
        answer = gateway.options(concrete(path))

        assert answer.status_code == 204, (path, answer.text)
        allowed = {method.strip().lower() for method in answer.headers["allow"].split(",")}
        assert {method for method in HTTP_METHODS if method in item} <= allowed, path


@pytest.mark.parametrize("path", ["/admin/fault", "/metrics", "/readyz"])
def test_no_probe_metrics_or_admin_route_is_public(
    gateway: httpx.Client, served: dict[str, Any], path: str
) -> None:
    assert not [p for p in served["paths"] if p.startswith(("/admin", "/metrics", "/readyz"))]
    assert_problem(gateway.get(path), 404)


def test_docs_is_swagger_ui_served_from_the_gateways_own_files(gateway: httpx.Client) -> None:
    page = gateway.get("/docs")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)

    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "/openapi.json" in page.text
    assert sorted(assets) == [
        "/docs/favicon.png",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
    ]
    kinds = {"png": "image/png", "js": "application/javascript", "css": "text/css"}
    for asset in assets:
        answer = gateway.get(asset)
        assert answer.status_code == 200, asset
        assert answer.headers["content-type"].startswith(kinds[asset.rsplit(".", 1)[1]])
    assert_problem(gateway.get("/docs/nothing.js"), 404)


def click(browser: WebDriver, element: WebElement) -> None:
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def test_a_consumer_logs_in_and_calls_the_api_from_the_docs_page(
    browser: WebDriver, local_stack: LocalStack, served: dict[str, Any]
) -> None:
    """The first minutes in /docs: every operation listed, Authorize with the demo
    account (OAuth2 password form), then "Try it out" on GET /api/users/me."""
    wait = WebDriverWait(browser, WAIT_SECONDS)
    browser.get(f"{local_stack.gateway_url}/docs")
    operations = sum(len(set(item) & set(HTTP_METHODS)) for item in served["paths"].values())
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, ".opblock")) == operations)

    browser.find_element(By.CSS_SELECTOR, "button.authorize").click()
    wait.until(lambda b: b.find_element(By.ID, "oauth_username")).send_keys(DEMO["username"])
    browser.find_element(By.ID, "oauth_password").send_keys(DEMO["password"])
    click(browser, browser.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize"))
    # Logged in: the dialog offers to log out.
    wait.until(lambda b: b.find_elements(By.XPATH, "//button[normalize-space()='Logout']"))
    click(browser, browser.find_element(By.CSS_SELECTOR, "button.btn-done"))
    wait.until(lambda b: not b.find_elements(By.CSS_SELECTOR, ".dialog-ux"))

    me = browser.find_element(By.ID, "operations-async-read_me_api_users_me_get")
    click(browser, me.find_element(By.CSS_SELECTOR, ".opblock-summary"))
    click(browser, wait.until(lambda _: me.find_element(By.CSS_SELECTOR, "button.try-out__btn")))
    click(browser, wait.until(lambda _: me.find_element(By.CSS_SELECTOR, "button.execute")))
    answered = ".live-responses-table tr.response .response-col_status"
    status = wait.until(lambda _: me.find_element(By.CSS_SELECTOR, answered))
    body = me.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text

    assert status.text.strip() == "200", body
    assert json.loads(body)["email"] == DEMO["username"]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("mode", ["async", "sync"])
def test_schemathesis_through_the_gateway_finds_nothing(
    local_stack: LocalStack, tmp_path: Path, mode: str
) -> None:
    run = run_schemathesis(
        local_stack.gateway_url,
        mode=mode,
        users_url=local_stack.gateway_url,
        workdir=tmp_path / "schemathesis",
        through_gateway=True,
    )

    assert run.passed, run.summary()
