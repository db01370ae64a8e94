"""What every scenario's simulated user shares: its mode and that mode's prefix, request
names that say the mode, a seeded login, and a closed loop (no think time), so the
number of users is the concurrency."""

import random
from typing import Any

from locust import FastHttpUser, constant, events
from locust.env import Environment

from loadtest.accounts import Account, pool
from loadtest.listeners import listener
from loadtest.modes import PREFIXES, Alternation, request_name
from loadtest.options import parsed

_alternation = Alternation()


@listener(events.test_start)
def _restart_alternation(environment: Environment, **_kwargs: Any) -> None:
    _alternation.restart()


class ServiceUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    # Public reads need no token; scenarios that act as someone log in.
    needs_login = True

    def on_start(self) -> None:
        options = parsed(self.environment)
        self.mode = _alternation.mode_for(type(self).__name__, options.mode)
        self.api = PREFIXES[self.mode]
        self.rng = random.Random()
        self.account: Account | None = None
        if self.needs_login:
            login_name = self.named("[auth] login")
            self.account = pool(options.accounts).take(self.client, self.api, login_name)

    def named(self, step: str) -> str:
        """The request name of `step` in this user's mode: `[users] list (async)`."""
        return request_name(step, self.mode)

    @property
    def auth(self) -> dict[str, str]:
        return self.account.headers if self.account else {}
