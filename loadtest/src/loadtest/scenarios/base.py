"""What every scenario's simulated user shares: the mode's prefix, a seeded login, and
a closed loop (no think time), so the number of users is the concurrency."""

import random

from locust import FastHttpUser, constant

from loadtest.accounts import Account, pool
from loadtest.options import prefix


class ServiceUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    # Public reads need no token; scenarios that act as someone log in.
    needs_login = True

    def on_start(self) -> None:
        self.api = prefix(self.environment)
        self.rng = random.Random()
        self.account: Account | None = None
        if self.needs_login:
            options = self.environment.parsed_options
            self.account = pool(options.accounts).take(self.client, self.api)

    @property
    def auth(self) -> dict[str, str]:
        return self.account.headers if self.account else {}
