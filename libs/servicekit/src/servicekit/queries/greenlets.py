"""`run_in_greenlet`: SQLAlchemy's bridge from async code to sync code that awaits
(`sqlalchemy.util.await_`), with its greenlets kept for the next call.

`greenlet_spawn` makes a greenlet per call, and under CPython 3.11 a greenlet's first
frame maps a fresh 16 KiB chunk of frame stack, unmapped when the greenlet ends: a
system call each way and the page faults between, on every async read (seen with
`strace -k`; 8.6 µs of CPU against 1.0 µs for a greenlet that is switched into again).
Here a greenlet that finished a call waits in its thread's pool for the next one.

Inside the call, `await_` hands each awaitable to the calling task, which awaits it and
switches back with the result, or throws in what the await raised (a cancellation
included): the same contract as `greenlet_spawn`.
"""

import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

from greenlet import GreenletExit, getcurrent, greenlet

R = TypeVar("R")

# Idle greenlets kept per thread beyond this many are let go: a burst of concurrent reads
# should not pin its greenlets (and their frame stacks) for good.
MAX_IDLE = 64


class _Bridge(greenlet):  # type: ignore[misc]  # greenlet has no type information
    # What SQLAlchemy's await_ asks of the greenlet it is called in.
    __sqlalchemy_greenlet_provider__ = True


class _Outcome:
    __slots__ = ("error", "value")

    def __init__(self, value: Any = None, error: BaseException | None = None):
        self.value = value
        self.error = error


def _serve(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    while True:
        try:
            outcome = _Outcome(function(*args, **kwargs))
        except GreenletExit:
            raise  # the greenlet is being collected: let it end
        except BaseException as error:
            outcome = _Outcome(error=error)
        del function, args, kwargs  # hold nothing of a finished call while idle
        # Back to the caller, and later the next call's (function, args, kwargs).
        function, args, kwargs = getcurrent().parent.switch(outcome)


class _Idle(threading.local):
    def __init__(self) -> None:
        self.bridges: list[_Bridge] = []


_idle = _Idle()


async def run_in_greenlet(function: Callable[..., R], /, *args: Any, **kwargs: Any) -> R:
    """`function(*args, **kwargs)`, which may `await_`, run from the calling task."""
    bridges = _idle.bridges
    bridge = bridges.pop() if bridges else _Bridge(_serve)
    caller = getcurrent()
    bridge.parent = caller
    # The call sees the task's context variables (request id, trace), as under
    # greenlet_spawn, and what it sets stays in them.
    bridge.gr_context = caller.gr_context
    result = bridge.switch(function, args, kwargs)
    while not isinstance(result, _Outcome):
        try:
            value = await result
        except BaseException as error:
            result = bridge.throw(error)
        else:
            result = bridge.switch(value)
    if len(bridges) < MAX_IDLE:
        bridges.append(bridge)
    if result.error is not None:
        try:
            raise result.error
        finally:
            del result  # no cycle through the traceback's frames
    # What `function` returned, carried through the greenlet switch as an Any.
    return cast(R, result.value)
