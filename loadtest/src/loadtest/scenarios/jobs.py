"""`[jobs]`: submit a report about oneself, then poll it until it ends."""

import time

from locust import task

from loadtest.scenarios.base import ServiceUser

POLL_SECONDS = 0.2
GIVE_UP_SECONDS = 60


class Jobs(ServiceUser):
    @task
    def report(self) -> None:
        assert self.account is not None  # needs_login: on_start took one
        body = {"kind": "reports.user_summary", "params": {"user_id": self.account.user_id}}
        submitted = self.client.post(
            f"{self.api}/jobs",
            json=body,
            headers=self.auth,
            name=self.named("[jobs] submit report"),
        )
        if submitted.status_code != 202 or submitted.headers is None:
            return
        location = submitted.headers["location"]
        if not isinstance(location, str):  # several Location headers: not the contract
            raise TypeError(f"a 202 with Location {location!r}")
        started = time.monotonic()
        while True:
            with self.client.get(
                location, headers=self.auth, name=self.named("[jobs] poll"), catch_response=True
            ) as response:
                status = response.json()["status"] if response.status_code == 200 else None
                if status == "failed":
                    response.failure(f"the report failed: {response.json()['error']}")
                if status not in ("queued", "running"):
                    break
                if time.monotonic() - started > GIVE_UP_SECONDS:
                    response.failure(f"the report did not end in {GIVE_UP_SECONDS} s")
                    break
            time.sleep(POLL_SECONDS)
        # The whole round trip, submission to result, as one more line in the stats.
        self.environment.events.request.fire(
            request_type="JOB",
            name=self.named("[jobs] report end to end"),
            response_time=(time.monotonic() - started) * 1000,
            response_length=0,
            exception=None,
            context={},
        )
