"""The command-line options every scenario reads (also fields in the web UI)."""

from argparse import Namespace

from locust import events
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment

from loadtest.listeners import listener
from loadtest.modes import CHOICES


@listener(events.init_command_line_parser)
def add_options(parser: LocustArgumentParser) -> None:
    parser.add_argument(
        "--mode",
        choices=CHOICES,
        default="async",
        help="async: /api; sync: /sync/api; both: half the users each, side by side",
    )
    parser.add_argument(
        "--accounts",
        type=int,
        default=100,
        help="seeded accounts the simulated users log in with (seed2..seedN+1@example.com)",
    )


def parsed(environment: Environment) -> Namespace:
    """The run's options: Locust parses its command line before any user or listener runs."""
    if environment.parsed_options is None:
        raise RuntimeError("Locust ran without parsed options (not from its command line)")
    options: Namespace = environment.parsed_options
    return options
