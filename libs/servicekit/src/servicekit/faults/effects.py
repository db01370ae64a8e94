"""What a service's fault (servicekit.faults.switch) does to its data requests.

Only the data routes (`/api/...`, `/sync/api/...`) suffer it; probes, `/metrics`, the
docs and `/admin/fault` never do, so a faulty service stays observable, ready and
switchable. Both parts are installed only with FAULTS_ENABLED=true, and with no fault on
each costs the request path one attribute check.

- `FaultMiddleware`, innermost: the added latency, an `asyncio.sleep` (no thread held,
  no connection: nothing is open yet), then the error rate, a 503 problem before the
  handler runs, so an injected error never writes anything.
- `slow_statements`: every session and every read (servicekit.queries.reads) of the service's
  database, async and sync, runs a sleeping statement (`pg_sleep`, `SLEEP`) as soon as
  it holds its connection: a slow database as the pool and the thread pool feel it. A sleep over
  DB_STATEMENT_TIMEOUT_MS is cancelled by the server like any slow statement (a 503).
"""

import asyncio
import random
from pathlib import Path

from sqlalchemy import Connection, event, text
from sqlalchemy.orm import Session, SessionTransaction
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from servicecontracts.faults import Fault
from servicekit.db.engines import Database, is_postgres
from servicekit.faults.switch import FaultSwitch
from servicekit.queries.named_sql import NamedSQL
from servicekit.queries.reads import Reads

# The one private name taken from servicekit.web.methods: its table of the app's routes,
# which names the route of an injected error for the metrics and the access line.
from servicekit.web.methods import _RouteTable
from servicekit.web.problem_details import problem

SQL = NamedSQL.load(Path(__file__).parent / "sql", "faults")

DATA_PATH_PREFIXES = ("/api/", "/sync/api/")


class FaultMiddleware:
    def __init__(self, app: ASGIApp, *, switch: FaultSwitch):
        self.app = app
        self.switch = switch
        self._routes: _RouteTable | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = self.switch.fault
        if fault is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self._with_fault(fault, scope, receive, send)

    async def _with_fault(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        path = get_route_path(scope)
        found = None
        if path.startswith(DATA_PATH_PREFIXES):
            if self._routes is None:
                self._routes = _RouteTable(scope["app"].routes)
            found = self._routes.match(path)
        if found is None:  # not a data route, or no route at all: the router's 404
            await self.app(scope, receive, send)
            return
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        # Not a secret, a sample: the standard generator is what it needs.
        if fault.error_rate and random.random() < fault.error_rate:
            scope["route"] = found.route
            response = problem(
                Request(scope),
                503,
                title="Injected fault",
                detail="The fault switch of this service failed the request on purpose.",
                headers={"Retry-After": "1"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def slow_statements(database: Database, switch: FaultSwitch) -> None:
    """Makes every session and read of `database` run the fault's sleeping statement
    first."""
    if is_postgres(database.sync_engine.url):
        sleep = text("SELECT pg_sleep(:seconds)")
    else:
        sleep = text("SELECT SLEEP(:seconds)")

    def sleep_first(_session: Session, _tx: SessionTransaction, connection: Connection) -> None:
        fault = switch.fault
        if fault is None or not fault.slow_statement_ms:
            return
        connection.execute(sleep, {"seconds": fault.slow_statement_ms / 1000})

    # Sessions of this database only: the listeners go on Session classes of its own
    # (a sessionmaker makes one; the async ones get one here), never on Session itself,
    # which every other app in the process shares.
    async_sessions = type("FaultableSession", (Session,), {})
    database.async_sessions.configure(sync_session_class=async_sessions)
    event.listen(async_sessions, "after_begin", sleep_first)
    event.listen(database.sync_sessions, "after_begin", sleep_first)

    def sleep_before_read(reads: Reads) -> None:
        fault = switch.fault
        if fault is not None and fault.slow_statement_ms:
            reads.value(SQL.sleep, seconds=fault.slow_statement_ms / 1000)

    database.before_reads.append(sleep_before_read)
