"""Locust's event hooks as typed decorators.

`EventHook.add_listener` is unannotated, so a function decorated with it would lose its
own annotations to mypy; `@listener(events.init)` adds it all the same.
"""

from collections.abc import Callable
from typing import TypeVar, cast

from locust.event import EventHook

Listener = TypeVar("Listener", bound=Callable[..., object])


def listener(hook: EventHook) -> Callable[[Listener], Listener]:
    """`@listener(hook)`: `@hook.add_listener`, which adds the function and returns it."""
    return cast("Callable[[Listener], Listener]", hook.add_listener)
