"""`[items]`: only the listing with `expand=owner`, the request that waits on another
service: items reads a page, then asks users for each owner's profile. In sync mode the
handler waits in one of items' pool threads, one owner after another; in async mode it
awaits them all at once. `make bench --upstream-latency` slows users down under it.

A page of five items, not ItemsMixed's twenty: sync fetches owners in a row, so with
100 ms on each users answer twenty owners would take items' whole 2 s budget for users
(USERS_TIMEOUT_SECONDS) and the comparison would count timeouts, not waiting.
"""

from locust import task

from loadtest.scenarios.base import ServiceUser

PAGE_SIZE = 5


class ItemsOwners(ServiceUser):
    needs_login = False  # listing is public

    @task
    def list_with_owners(self) -> None:
        url = f"{self.api}/items?limit={PAGE_SIZE}&expand=owner"
        self.client.get(url, name=self.named("[items] list expand=owner"))
