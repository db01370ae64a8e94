"""`[items]`: get with its view count, list with `expand=owner`, create, update."""

from locust import task

from loadtest.scenarios.base import ServiceUser


class ItemsMixed(ServiceUser):
    def on_start(self) -> None:
        super().on_start()
        self.mine: list[int] = []
        self.seen_ids: list[int] = []
        self.create()

    @task(5)
    def get_one(self) -> None:
        if not self.seen_ids:
            self.list_with_owners()
        item_id = self.rng.choice(self.seen_ids or self.mine)
        self.client.get(f"{self.api}/items/{item_id}", name=self.named("[items] get"))

    @task(2)
    def list_with_owners(self) -> None:
        url = f"{self.api}/items?limit=20&expand=owner"
        page = self.client.get(url, name=self.named("[items] list expand=owner")).json()
        self.seen_ids.extend(item["id"] for item in page.get("items", ()))
        del self.seen_ids[:-500]

    @task(1)
    def create(self) -> None:
        body = {"title": f"Load test item {self.rng.randrange(10**6)}"}
        response = self.client.post(
            f"{self.api}/items", json=body, headers=self.auth, name=self.named("[items] create")
        )
        if response.status_code == 201:
            self.mine.append(response.json()["id"])
            del self.mine[:-50]

    @task(1)
    def update(self) -> None:
        if not self.mine:
            return self.create()
        body = {"description": f"Revised {self.rng.randrange(10**6)}"}
        item_id = self.rng.choice(self.mine)
        self.client.patch(
            f"{self.api}/items/{item_id}",
            json=body,
            headers=self.auth,
            name=self.named("[items] update"),
        )
        return None
