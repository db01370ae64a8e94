"""`reports.user_summary`: one user's public profile (users), item count and views
(items) and open and done task counts (tasks), gathered with concurrent calls.

Each answer is parsed with the model its service answers with (servicecontracts.profiles
and servicecontracts.reports), so a report holds what the contract says, never what a
service happened to send."""

import asyncio
from typing import TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from servicecontracts.profiles import PublicProfile
from servicecontracts.reports import OwnerSummary, ReportParams, TaskSummary
from servicekit.clients.http import ServiceClient
from worker_service.jobs.failures import JobFailed

Answer = TypeVar("Answer", bound=BaseModel)


async def user_summary(
    user_id: object,
    *,
    users: ServiceClient,
    items: ServiceClient,
    tasks: ServiceClient,
    submitter_token: str | None,
) -> dict[str, object]:
    """Raises `JobFailed` for what no retry mends, and `DependencyUnavailable` (from the
    clients) for a service that is down or slow, which a retry may mend."""
    try:
        params = ReportParams.model_validate({"user_id": user_id})
    except ValidationError:
        raise JobFailed("user_id must be the id of a user") from None
    if not submitter_token:
        raise JobFailed("the job carries no token to read the submitter's tasks with")
    profile, owned, todo = await asyncio.gather(
        users.get(f"/api/users/{params.user_id}"),
        items.get("/api/items/summary", params={"owner_id": str(params.user_id)}),
        tasks.get("/api/tasks/summary", headers={"Authorization": f"Bearer {submitter_token}"}),
    )
    if profile.status_code == 404:
        raise JobFailed(f"user {params.user_id} does not exist")
    if todo.status_code == 401:
        raise JobFailed("the submitter's token expired before the report ran")
    for name, response in (("users", profile), ("items", owned), ("tasks", todo)):
        if response.status_code != 200:
            raise JobFailed(f"{name} answered {response.status_code}")
    counts = _parsed(OwnerSummary, "items", owned)
    return {
        "user": _parsed(PublicProfile, "users", profile).model_dump(mode="json"),
        "items": {"count": counts.items, "views": counts.views},
        "tasks": _parsed(TaskSummary, "tasks", todo).model_dump(mode="json"),
    }


def _parsed(model: type[Answer], name: str, response: httpx.Response) -> Answer:
    try:
        return model.model_validate_json(response.content)
    except ValidationError:
        raise JobFailed(f"{name} answered a body that is no {model.__name__}") from None
