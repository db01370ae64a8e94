"""The alert rules: promtool accepts them and their unit tests pass, and every alert
carries what the person paged needs (severity, summary, description) and is tested both
ways (a case where it fires, one where it does not)."""

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.binaries import find_binary

from .promql import is_known, known_series_names, metric_names

PROMETHEUS_DIR = Path(__file__).resolve().parents[1] / "prometheus"
RULES = PROMETHEUS_DIR / "rules.yml"
RULES_TEST = PROMETHEUS_DIR / "rules_test.yml"
SEVERITIES = {"critical", "warning", "info"}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_binary("promtool"), *args],
        cwd=PROMETHEUS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _cases() -> list[dict[str, Any]]:
    """Every alert_rule_test of rules_test.yml."""
    tests = yaml.safe_load(RULES_TEST.read_text())["tests"]
    return [case for test in tests for case in test.get("alert_rule_test", [])]


def test_promtool_checks_the_rules() -> None:
    result = _promtool("check", "rules", RULES.name)
    assert result.returncode == 0, f"promtool check rules:\n{result.stdout}{result.stderr}"


def test_promtool_unit_tests_pass() -> None:
    result = _promtool("test", "rules", RULES_TEST.name)
    assert result.returncode == 0, f"promtool test rules:\n{result.stdout}{result.stderr}"


def test_the_unit_tests_load_the_rules() -> None:
    assert yaml.safe_load(RULES_TEST.read_text())["rule_files"] == [RULES.name]


@pytest.mark.parametrize("alert", _alerts(), ids=lambda alert: alert["alert"])
def test_every_alert_tells_how_bad_and_where_to_look(alert: dict[str, Any]) -> None:
    assert alert.get("labels", {}).get("severity") in SEVERITIES
    annotations = alert.get("annotations", {})
    assert annotations.get("summary"), "a one-line summary for the page"
    assert "Look at:" in annotations.get("description", ""), "where to look, in the description"
    # A `for:` keeps one bad scrape or evaluation from paging anyone.
    assert alert.get("for"), "a `for:` duration"


@pytest.mark.parametrize("alert", _alerts(), ids=lambda alert: alert["alert"])
def test_every_alert_is_tested_firing_and_not_firing(alert: dict[str, Any]) -> None:
    cases = [case for case in _cases() if case["alertname"] == alert["alert"]]
    assert any(case.get("exp_alerts") for case in cases), "no case where it fires"
    assert any(not case.get("exp_alerts") for case in cases), "no case where it stays quiet"


@pytest.mark.parametrize("alert", _alerts(), ids=lambda alert: alert["alert"])
def test_alerts_use_catalogued_metrics(alert: dict[str, Any]) -> None:
    known = known_series_names()
    unknown = {name for name in metric_names(alert["expr"]) if not is_known(name, known)}
    assert not unknown, f"not in observability/README.md: {sorted(unknown)}"
