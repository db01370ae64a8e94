"""The generated Python client (clients/python) against a running system, once per mode:
an account registered, logged in and read back; an item made, read with its owner and
listed; a task made, marked done and listed; a report job submitted and followed to its
result; then all of it deleted, and the deleted account's login refused. Every answer is
parsed into the client's models, so a document that no longer says what the system
answers fails here. `python -m loadtest.smoke` runs it first, so the client is proven
wherever the smoke runs: against `make run`'s gateway and in the cluster's smoke Job.
"""

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from pyservices_client import AuthenticatedClient, Client
from pyservices_client.api.async_ import (
    create_item_api_items_post,
    create_task_api_tasks_post,
    create_user_api_users_post,
    delete_item_api_items_item_id_delete,
    delete_task_api_tasks_task_id_delete,
    delete_user_api_users_user_id_delete,
    issue_token_api_auth_token_post,
    list_items_api_items_get,
    list_tasks_api_tasks_get,
    mark_task_done_api_tasks_task_id_done_put,
    read_item_api_items_item_id_get,
    read_job_api_jobs_job_id_get,
    read_me_api_users_me_get,
    submit_job_api_jobs_post,
)
from pyservices_client.api.sync import (
    create_item_sync_api_items_post,
    create_task_sync_api_tasks_post,
    create_user_sync_api_users_post,
    delete_item_sync_api_items_item_id_delete,
    delete_task_sync_api_tasks_task_id_delete,
    delete_user_sync_api_users_user_id_delete,
    issue_token_sync_api_auth_token_post,
    list_items_sync_api_items_get,
    list_tasks_sync_api_tasks_get,
    mark_task_done_sync_api_tasks_task_id_done_put,
    read_item_sync_api_items_item_id_get,
    read_job_sync_api_jobs_job_id_get,
    read_me_sync_api_users_me_get,
    submit_job_sync_api_jobs_post,
)
from pyservices_client.errors import UnexpectedStatus
from pyservices_client.models import (
    ItemCreate,
    ItemRead,
    ItemWithOwner,
    JobAccepted,
    JobRead,
    JobReadStatus,
    PageItemRead,
    PageItemWithOwner,
    PageTaskRead,
    PasswordLogin,
    Problem,
    ReportJob,
    ReportParams,
    TaskCreate,
    TaskRead,
    Token,
    UserCreate,
    UserPrivate,
)
from pyservices_client.types import Response

Model = TypeVar("Model")
# A job waits for the worker behind every other queued job; a report takes milliseconds.
JOB_SECONDS = 60
PASSWORD = "client-check-password"  # noqa: S105 - a throwaway account's


@dataclass(frozen=True)
class Operations:
    """One mode's operations, as the client names them (`sync_detailed`: the answer's
    status as well as its parsed body). Both modes fill the same fields: one contract."""

    create_user: Callable[..., Response[Problem | UserPrivate]]
    issue_token: Callable[..., Response[Problem | Token]]
    read_me: Callable[..., Response[Problem | UserPrivate]]
    delete_user: Callable[..., Response[Any | Problem]]
    create_item: Callable[..., Response[ItemRead | Problem]]
    read_item: Callable[..., Response[ItemRead | ItemWithOwner | Problem]]
    list_items: Callable[..., Response[PageItemRead | PageItemWithOwner | Problem]]
    delete_item: Callable[..., Response[Any | Problem]]
    create_task: Callable[..., Response[Problem | TaskRead]]
    mark_task_done: Callable[..., Response[Problem | TaskRead]]
    list_tasks: Callable[..., Response[PageTaskRead | Problem]]
    delete_task: Callable[..., Response[Any | Problem]]
    submit_job: Callable[..., Response[JobAccepted | Problem]]
    read_job: Callable[..., Response[JobRead | Problem]]


OPERATIONS = {
    "async": Operations(
        create_user=create_user_api_users_post.sync_detailed,
        issue_token=issue_token_api_auth_token_post.sync_detailed,
        read_me=read_me_api_users_me_get.sync_detailed,
        delete_user=delete_user_api_users_user_id_delete.sync_detailed,
        create_item=create_item_api_items_post.sync_detailed,
        read_item=read_item_api_items_item_id_get.sync_detailed,
        list_items=list_items_api_items_get.sync_detailed,
        delete_item=delete_item_api_items_item_id_delete.sync_detailed,
        create_task=create_task_api_tasks_post.sync_detailed,
        mark_task_done=mark_task_done_api_tasks_task_id_done_put.sync_detailed,
        list_tasks=list_tasks_api_tasks_get.sync_detailed,
        delete_task=delete_task_api_tasks_task_id_delete.sync_detailed,
        submit_job=submit_job_api_jobs_post.sync_detailed,
        read_job=read_job_api_jobs_job_id_get.sync_detailed,
    ),
    "sync": Operations(
        create_user=create_user_sync_api_users_post.sync_detailed,
        issue_token=issue_token_sync_api_auth_token_post.sync_detailed,
        read_me=read_me_sync_api_users_me_get.sync_detailed,
        delete_user=delete_user_sync_api_users_user_id_delete.sync_detailed,
        create_item=create_item_sync_api_items_post.sync_detailed,
        read_item=read_item_sync_api_items_item_id_get.sync_detailed,
        list_items=list_items_sync_api_items_get.sync_detailed,
        delete_item=delete_item_sync_api_items_item_id_delete.sync_detailed,
        create_task=create_task_sync_api_tasks_post.sync_detailed,
        mark_task_done=mark_task_done_sync_api_tasks_task_id_done_put.sync_detailed,
        list_tasks=list_tasks_sync_api_tasks_get.sync_detailed,
        delete_task=delete_task_sync_api_tasks_task_id_delete.sync_detailed,
        submit_job=submit_job_sync_api_jobs_post.sync_detailed,
        read_job=read_job_sync_api_jobs_job_id_get.sync_detailed,
    ),
}


class CheckFailed(Exception):
    pass


class Walk:
    """One mode's calls, counted; each answer checked for its status and model."""

    def __init__(self, calls: Operations) -> None:
        self.calls = calls
        self.requests = 0

    def expect(self, step: str, response: Response[Any], status: int, model: type[Model]) -> Model:
        self.requests += 1
        parsed = response.parsed
        if response.status_code == status and isinstance(parsed, model):
            return parsed
        if isinstance(parsed, Problem):
            said = f"{parsed.status} {parsed.title}: {parsed.detail}"
        else:
            said = f"{int(response.status_code)} {response.content[:200]!r}"
        raise CheckFailed(f"{step}: expected {int(status)} {model.__name__}, got {said}")

    def check(self, step: str, holds: bool, detail: object) -> None:
        if not holds:
            raise CheckFailed(f"{step}: {detail}")


def walk(base_url: str, mode: str, *, timeout: float = 30) -> int:
    """The walk through the gateway at `base_url` in `mode`; the number of requests it
    made. Raises CheckFailed saying which step answered what, or httpx.HTTPError."""
    try:
        return _walk(base_url, mode, timeout)
    except UnexpectedStatus as error:
        raise CheckFailed(f"an answer the API document does not describe: {error}") from None


def _walk(base_url: str, mode: str, timeout: float) -> int:
    calls = OPERATIONS[mode]
    run = Walk(calls)
    # An undocumented status raises (errors.UnexpectedStatus) rather than parsing as None.
    options: dict[str, Any] = {
        "timeout": httpx.Timeout(timeout),
        "raise_on_unexpected_status": True,
    }
    anyone = Client(base_url=base_url, **options)
    email = f"client-check-{mode}-{secrets.token_hex(4)}@example.com"
    new = UserCreate(name="Client Check", email=email, password=PASSWORD)
    me = run.expect("register", calls.create_user(client=anyone, body=new), 201, UserPrivate)
    login = PasswordLogin(username=email, password=PASSWORD)
    token = run.expect("log in", calls.issue_token(client=anyone, body=login), 200, Token)
    client = AuthenticatedClient(base_url=base_url, token=token.access_token, **options)
    read = run.expect("read me", calls.read_me(client=client), 200, UserPrivate)
    run.check("read me", read.id == me.id and read.email == email, read)

    body = ItemCreate(title=f"Lamp ({mode})")
    item = run.expect("create item", calls.create_item(client=client, body=body), 201, ItemRead)
    shown = run.expect(
        "read item with owner",
        calls.read_item(item.id, client=anyone, expand="owner"),
        200,
        ItemWithOwner,
    )
    owner = shown.owner
    run.check("read item with owner", owner is not None and owner.name == me.name, shown)
    page = run.expect(
        "list owner's items",
        calls.list_items(client=anyone, owner_id=me.id, expand="owner"),
        200,
        PageItemWithOwner,
    )
    run.check("list owner's items", [i.id for i in page.items] == [item.id], page)

    body_task = TaskCreate(title="Water plants")
    task = run.expect(
        "create task", calls.create_task(client=client, body=body_task), 201, TaskRead
    )
    done = run.expect("mark done", calls.mark_task_done(task.id, client=client), 200, TaskRead)
    run.check("mark done", done.done and done.done_at is not None, done)
    tasks = run.expect(
        "list done tasks", calls.list_tasks(client=client, done=True), 200, PageTaskRead
    )
    run.check("list done tasks", [t.id for t in tasks.items] == [task.id], tasks)

    report = ReportJob(kind="reports.user_summary", params=ReportParams(user_id=me.id))
    accepted = run.expect(
        "submit job", calls.submit_job(client=client, body=report), 202, JobAccepted
    )
    job = _job_ended(run, client, int(accepted.id))
    run.check("job result", job.status == JobReadStatus.SUCCEEDED, job)
    result = job.result if isinstance(job.result, dict) else {}
    run.check("job result", result.get("tasks") == {"open": 0, "done": 1}, result)

    run.expect("delete item", calls.delete_item(item.id, client=client), 204, object)
    run.expect("delete task", calls.delete_task(task.id, client=client), 204, object)
    run.expect("delete account", calls.delete_user(me.id, client=client), 204, object)
    run.expect("log in, deleted", calls.issue_token(client=anyone, body=login), 401, Problem)
    return run.requests


def _job_ended(run: Walk, client: AuthenticatedClient, job_id: int) -> JobRead:
    deadline = time.monotonic() + JOB_SECONDS
    while True:
        job = run.expect("read job", run.calls.read_job(job_id, client=client), 200, JobRead)
        ended = job.status in (JobReadStatus.SUCCEEDED, JobReadStatus.FAILED)
        if ended or time.monotonic() > deadline:
            return job
        time.sleep(0.2)
