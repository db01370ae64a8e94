"""Request names say their mode; `--mode both` splits each scenario's users in two."""

import pytest

from loadtest.modes import BOTH, Alternation, request_name


def test_a_request_name_ends_with_its_mode() -> None:
    assert request_name("[users] list", "async") == "[users] list (async)"
    assert request_name("[users] list", "sync") == "[users] list (sync)"


def test_sorted_names_put_a_steps_two_modes_side_by_side() -> None:
    names = [request_name(step, mode) for mode in ("sync", "async") for step in ("b", "a")]

    assert sorted(names) == ["a (async)", "a (sync)", "b (async)", "b (sync)"]


def test_a_name_never_says_both_or_an_unknown_mode() -> None:
    for mode in (BOTH, "fast"):
        with pytest.raises(ValueError, match="unknown mode"):
            request_name("[users] list", mode)


def test_one_mode_is_every_users_mode() -> None:
    alternation = Alternation()

    assert [alternation.mode_for("UsersRead", "sync") for _ in range(3)] == ["sync"] * 3


def test_both_alternates_per_scenario_and_starts_over_with_a_new_run() -> None:
    alternation = Alternation()
    first = [alternation.mode_for("UsersRead", BOTH) for _ in range(3)]
    other = alternation.mode_for("ItemsMixed", BOTH)
    fourth = alternation.mode_for("UsersRead", BOTH)
    alternation.restart()

    assert first == ["async", "sync", "async"]
    assert other == "async"
    assert fourth == "sync"
    assert alternation.mode_for("UsersRead", BOTH) == "async"
