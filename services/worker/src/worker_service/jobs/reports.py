"""`reports.user_summary`: one user's public profile (users), item count and views
(items) and open and done task counts (tasks), gathered with concurrent calls."""

import asyncio

from servicekit.http import ServiceClient
from worker_service.jobs.failures import JobFailed


async def user_summary(
    user_id: int,
    *,
    users: ServiceClient,
    items: ServiceClient,
    tasks: ServiceClient,
    submitter_token: str | None,
) -> dict[str, object]:
    """Raises `JobFailed` for what no retry mends, and `DependencyUnavailable` (from the
    clients) for a service that is down or slow, which a retry may mend."""
    if not submitter_token:
        raise JobFailed("the job carries no token to read the submitter's tasks with")
    profile, owned, todo = await asyncio.gather(
        users.get(f"/api/users/{user_id}"),
        items.get("/api/items/summary", params={"owner_id": str(user_id)}),
        tasks.get("/api/tasks/summary", headers={"Authorization": f"Bearer {submitter_token}"}),
    )
    if profile.status_code == 404:
        raise JobFailed(f"user {user_id} does not exist")
    if todo.status_code == 401:
        raise JobFailed("the submitter's token expired before the report ran")
    for name, response in (("users", profile), ("items", owned), ("tasks", todo)):
        if response.status_code != 200:
            raise JobFailed(f"{name} answered {response.status_code}")
    counts = owned.json()
    return {
        "user": profile.json(),
        "items": {"count": counts["items"], "views": counts["views"]},
        "tasks": todo.json(),
    }
