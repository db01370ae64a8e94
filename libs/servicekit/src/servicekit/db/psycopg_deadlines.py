"""A deadline on every psycopg (3, sync) call, which psycopg has no option for.

Every exchange of a psycopg connection with the server (a statement, a commit, a fetch of
a server-side cursor) runs through `Connection.wait`, which since psycopg 3.3 takes a
timeout; this connection passes its own when the caller passed none. A call that passes
it leaves the protocol mid-exchange, so the connection is closed before the error is
raised: nothing can use it again, and SQLAlchemy sees it closed and invalidates it.
"""

from typing import Any

import psycopg
from psycopg import errors
from psycopg.abc import RV, PQGen

# psycopg's own interval between checks for Ctrl-C while it waits.
_WAIT_INTERVAL = 0.1


class CallTimedOut(psycopg.OperationalError, TimeoutError):
    """A psycopg call that passed its deadline (its connection is closed by then)."""


class DeadlineConnection(psycopg.Connection[Any]):
    # Set by whoever connects (servicekit.db.deadlines.install); None waits forever.
    call_timeout: float | None = None

    def wait(
        self, gen: PQGen[RV], interval: float = _WAIT_INTERVAL, timeout: float | None = None
    ) -> RV:
        if timeout is not None or self.call_timeout is None:
            # A caller's own timeout (psycopg's notifies()) keeps its meaning.
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, self.call_timeout)
        # The name psycopg documents for an expired wait, private as it is; a test on a
        # frozen server fails if it changes.
        except errors._WaitTimeout as error:
            self.close()
            raise CallTimedOut(
                f"the database did not answer within {self.call_timeout:g} s (DB_CALL_TIMEOUT)"
            ) from error
