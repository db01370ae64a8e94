"""`[users]`: list pages following `next_cursor`, search by name prefix, get by id."""

from typing import Any

from locust import task

from loadtest.scenarios.base import ServiceUser

# Prefixes of the seeded first names (users_service.seed), so searches find people.
NAME_PREFIXES = ("ada", "gra", "lin", "mar", "ken", "rob", "tim", "bar", "don", "han")
MAX_PAGES = 3


class UsersRead(ServiceUser):
    needs_login = False

    def on_start(self) -> None:
        super().on_start()
        self.seen_ids: list[int] = []

    @task(3)
    def list_pages(self) -> None:
        page = self.client.get(f"{self.api}/users?limit=50", name=self.named("[users] list")).json()
        self._remember(page)
        for _ in range(MAX_PAGES - 1):
            if not page.get("next_cursor"):
                break
            url = f"{self.api}/users?limit=50&cursor={page['next_cursor']}"
            page = self.client.get(url, name=self.named("[users] list next")).json()
            self._remember(page)

    @task(2)
    def search(self) -> None:
        q = self.rng.choice(NAME_PREFIXES)
        self.client.get(f"{self.api}/users?q={q}&limit=20", name=self.named("[users] search"))

    @task(3)
    def get_one(self) -> None:
        if not self.seen_ids:
            self.list_pages()
        user_id = self.rng.choice(self.seen_ids)
        self.client.get(f"{self.api}/users/{user_id}", name=self.named("[users] get"))

    def _remember(self, page: dict[str, Any]) -> None:
        self.seen_ids.extend(user["id"] for user in page.get("items", ()))
        del self.seen_ids[:-500]
