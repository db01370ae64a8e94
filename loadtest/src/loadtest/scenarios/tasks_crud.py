"""`[tasks]`: one task's life: create, list, done, undone, delete."""

from locust import task

from loadtest.scenarios.base import ServiceUser


class TasksCrud(ServiceUser):
    @task
    def lifecycle(self) -> None:
        body = {"title": f"Load test task {self.rng.randrange(10**6)}"}
        created = self.client.post(
            f"{self.api}/tasks", json=body, headers=self.auth, name=self.named("[tasks] create")
        )
        if created.status_code != 201:
            return
        url = f"{self.api}/tasks/{created.json()['id']}"
        self.client.get(
            f"{self.api}/tasks?limit=20", headers=self.auth, name=self.named("[tasks] list")
        )
        self.client.put(f"{url}/done", headers=self.auth, name=self.named("[tasks] done"))
        self.client.delete(f"{url}/done", headers=self.auth, name=self.named("[tasks] undone"))
        self.client.delete(url, headers=self.auth, name=self.named("[tasks] delete"))
