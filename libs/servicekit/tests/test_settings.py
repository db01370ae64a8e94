"""`load_settings`: a missing or invalid setting ends the process with one line."""

import pytest
from pydantic import PositiveInt, model_validator

from servicekit.core.settings import ServiceSettings, load_settings


class ProbeSettings(ServiceSettings):
    probe_secret: str = "s3cret-value"
    probe_threads: PositiveInt = 1

    @model_validator(mode="after")
    def threads_within_reason(self) -> "ProbeSettings":
        if self.probe_threads > 64:
            raise ValueError("PROBE_THREADS above 64 only waits on the pool")
        return self


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    names = ("DATABASE_URL", "JWT_PUBLIC_KEY", "PROBE_SECRET", "PROBE_THREADS")
    faults = ("FAULTS_ENABLED", "FAULT_ADMIN_TOKEN", "FAULT_POLL_SECONDS")
    for name in (*names, *faults, "DB_CALL_TIMEOUT", "DB_STATEMENT_TIMEOUT_MS"):
        monkeypatch.delenv(name, raising=False)


def test_every_missing_setting_is_named_in_one_line() -> None:
    with pytest.raises(SystemExit) as exit_:
        load_settings(ProbeSettings)

    assert exit_.value.code == "ProbeSettings: missing DATABASE_URL; missing JWT_PUBLIC_KEY"


def test_an_invalid_value_is_named_but_never_echoed(
    monkeypatch: pytest.MonkeyPatch, jwt_public_key: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/probe")
    monkeypatch.setenv("JWT_PUBLIC_KEY", jwt_public_key)
    monkeypatch.setenv("PROBE_THREADS", "-7")

    with pytest.raises(SystemExit) as exit_:
        load_settings(ProbeSettings)

    message = str(exit_.value.code)
    assert message.startswith("ProbeSettings: invalid PROBE_THREADS (")
    assert "-7" not in message
    assert "\n" not in message


def test_a_rule_across_fields_says_itself_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, jwt_public_key: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/probe")
    monkeypatch.setenv("JWT_PUBLIC_KEY", jwt_public_key)
    monkeypatch.setenv("PROBE_THREADS", "65")

    with pytest.raises(SystemExit) as exit_:
        load_settings(ProbeSettings)

    assert exit_.value.code == "ProbeSettings: PROBE_THREADS above 64 only waits on the pool"


def test_good_settings_load(monkeypatch: pytest.MonkeyPatch, jwt_public_key: str) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/probe")
    monkeypatch.setenv("JWT_PUBLIC_KEY", jwt_public_key)

    settings = load_settings(ProbeSettings)

    assert settings.database_url == "postgresql://db/probe"
    assert settings.probe_secret == "s3cret-value"


def test_a_token_key_that_is_not_an_ed25519_key_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/probe")
    monkeypatch.setenv("JWT_PUBLIC_KEY", "-----BEGIN PUBLIC KEY-----\nnot a key\n")

    with pytest.raises(SystemExit) as exit_:
        load_settings(ProbeSettings)

    assert exit_.value.code == (
        "ProbeSettings: invalid JWT_PUBLIC_KEY (Value error, JWT_PUBLIC_KEY is not an "
        "Ed25519 public key or certificate in PEM form)"
    )


def test_the_fault_switch_is_off_by_default(
    monkeypatch: pytest.MonkeyPatch, jwt_public_key: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/probe")
    monkeypatch.setenv("JWT_PUBLIC_KEY", jwt_public_key)

    settings = load_settings(ProbeSettings)

    assert (settings.faults_enabled, settings.fault_admin_token) == (False, None)


@pytest.mark.parametrize("token", [None, "", "fifteen-chars!!"])
def test_faults_enabled_without_a_long_enough_token_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, jwt_public_key: str, token: str | None
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/probe")
    monkeypatch.setenv("JWT_PUBLIC_KEY", jwt_public_key)
    monkeypatch.setenv("FAULTS_ENABLED", "true")
    if token is not None:
        monkeypatch.setenv("FAULT_ADMIN_TOKEN", token)

    with pytest.raises(SystemExit) as exit_:
        load_settings(ProbeSettings)

    assert exit_.value.code == (
        "ProbeSettings: FAULTS_ENABLED=true needs FAULT_ADMIN_TOKEN, at least 16 characters"
    )


def test_the_fault_admin_token_is_never_shown(
    monkeypatch: pytest.MonkeyPatch, jwt_public_key: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/probe")
    monkeypatch.setenv("JWT_PUBLIC_KEY", jwt_public_key)
    monkeypatch.setenv("FAULTS_ENABLED", "true")
    monkeypatch.setenv("FAULT_ADMIN_TOKEN", "sixteen-chars-ok")

    settings = load_settings(ProbeSettings)

    assert settings.fault_admin_token is not None
    assert settings.fault_admin_token.get_secret_value() == "sixteen-chars-ok"
    assert "sixteen-chars-ok" not in repr(settings)


@pytest.mark.parametrize(("call_timeout", "statement_timeout_ms"), [("5", "5000"), ("2", "5000")])
def test_a_call_deadline_not_longer_than_the_statement_timeout_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
    jwt_public_key: str,
    call_timeout: str,
    statement_timeout_ms: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/probe")
    monkeypatch.setenv("JWT_PUBLIC_KEY", jwt_public_key)
    monkeypatch.setenv("DB_CALL_TIMEOUT", call_timeout)
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", statement_timeout_ms)

    with pytest.raises(SystemExit) as exit_:
        load_settings(ProbeSettings)

    assert exit_.value.code == (
        "ProbeSettings: DB_CALL_TIMEOUT (seconds) must be longer than DB_STATEMENT_TIMEOUT_MS "
        "(milliseconds): the server must cancel a slow statement before the client gives up "
        "on the connection"
    )


def test_a_call_deadline_longer_than_the_statement_timeout_loads(
    monkeypatch: pytest.MonkeyPatch, jwt_public_key: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/probe")
    monkeypatch.setenv("JWT_PUBLIC_KEY", jwt_public_key)
    monkeypatch.setenv("DB_CALL_TIMEOUT", "1.5")
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "1000")

    settings = load_settings(ProbeSettings)

    assert (settings.db_call_timeout, settings.db_statement_timeout_ms) == (1.5, 1000)
