"""`--warmup-seconds` and `--cpu-file`: what the comparison needs from a Locust run.

After the warm-up (connections opened, logins done, caches warm) the stats are reset, so
the CSV holds the measured period only; the load generator's own CPU use over that
period goes to `--cpu-file`, so a cell where Locust itself was the bottleneck is known.
"""

import json
import time
from typing import Any

import gevent
from locust import events
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment

from loadtest.listeners import listener
from loadtest.options import parsed


@listener(events.init_command_line_parser)
def add_options(parser: LocustArgumentParser) -> None:
    parser.add_argument(
        "--warmup-seconds",
        type=float,
        default=0,
        help="seconds at the start not counted in the stats",
    )
    parser.add_argument(
        "--cpu-file",
        default="",
        include_in_web_ui=False,
        help="write the generator's CPU use over the measured period here (JSON)",
    )


_window: dict[str, float] = {}


def _start_window() -> None:
    _window["cpu"] = time.process_time()
    _window["wall"] = time.monotonic()


@listener(events.test_start)
def _after_warmup(environment: Environment, **_kwargs: Any) -> None:
    warmup = parsed(environment).warmup_seconds
    if warmup <= 0:
        _start_window()
        return

    def reset() -> None:
        gevent.sleep(warmup)
        assert environment.runner is not None  # test_start comes from the runner
        environment.runner.stats.reset_all()
        _start_window()

    gevent.spawn(reset)


@listener(events.test_stop)
def _write_cpu(environment: Environment, **_kwargs: Any) -> None:
    path = parsed(environment).cpu_file
    if not path or "wall" not in _window:
        return
    seconds = time.monotonic() - _window["wall"]
    cpu = time.process_time() - _window["cpu"]
    with open(path, "w") as file:
        json.dump({"seconds": seconds, "cpu_percent": 100 * cpu / seconds if seconds else 0}, file)
