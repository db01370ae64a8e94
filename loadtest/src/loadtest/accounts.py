"""Logins from a pool of seeded accounts, each done once per Locust process.

Logging in costs an Argon2id hash on users (tens of milliseconds of CPU, on purpose),
which would swamp what a run measures; simulated users share the pool's tokens instead.
Seeded accounts are `seed<id>@example.com` with one password (users_service.seed); the
demo account is user 1, so they start at id 2.

users limits login attempts per client address (60 a minute by default), and every
simulated user of a Locust process is one address: a login refused with 429 is tried
again after its Retry-After, and meanwhile the user gets an account that is logged in,
never one without a token (its every request would be a 401).
"""

import itertools
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:  # importing locust monkey-patches with gevent: the tests import this alone
    from locust.contrib.fasthttp import FastHttpSession

SEED_PASSWORD = "seed-password"  # noqa: S105 - the published password of seeded accounts
FIRST_SEEDED_ID = 2


class Account:
    def __init__(self, user_id: int):
        self.user_id = user_id
        self.email = f"seed{user_id}@example.com"
        self.token: str | None = None
        self.retry_at = 0.0  # monotonic time before which a refused login is not retried

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class AccountPool:
    """Hands out accounts round-robin; the first user to get one logs it in."""

    def __init__(self, size: int):
        self._accounts = [Account(FIRST_SEEDED_ID + n) for n in range(max(size, 1))]
        self._next = itertools.cycle(self._accounts)
        self._lock = threading.Lock()

    def take(self, client: "FastHttpSession", prefix: str, login_name: str) -> Account:
        """`login_name`: the request name a login made here counts under (it says the mode)."""
        with self._lock:
            account = next(self._next)
        if account.token is None and time.monotonic() >= account.retry_at:
            self._log_in(account, client, prefix, login_name)
        if account.token is None:
            return next((a for a in self._accounts if a.token is not None), account)
        return account

    @staticmethod
    def _log_in(account: Account, client: "FastHttpSession", prefix: str, name: str) -> None:
        form = urlencode({"username": account.email, "password": SEED_PASSWORD})
        response = client.post(
            f"{prefix}/auth/token",
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            name=name,
        )
        if response.status_code == 200:
            account.token = response.json()["access_token"]
        elif response.status_code == 429:
            retry_after = response.headers.get("Retry-After", "") if response.headers else ""
            seconds = (
                int(retry_after) if isinstance(retry_after, str) and retry_after.isdigit() else 1
            )
            account.retry_at = time.monotonic() + seconds


_pools: dict[int, AccountPool] = {}


def pool(size: int) -> AccountPool:
    """One pool per process and size: Locust users are greenlets of one process."""
    if size not in _pools:
        _pools[size] = AccountPool(size)
    return _pools[size]
