"""The command-line options every scenario reads (also fields in the web UI)."""

from locust import events

PREFIXES = {"async": "/api", "sync": "/sync/api"}


@events.init_command_line_parser.add_listener
def add_options(parser) -> None:
    parser.add_argument(
        "--mode",
        choices=sorted(PREFIXES),
        default="async",
        help="async: the /api handlers; sync: the /sync/api handlers (one contract)",
    )
    parser.add_argument(
        "--accounts",
        type=int,
        default=100,
        help="seeded accounts the simulated users log in with (seed2..seedN+1@example.com)",
    )


def prefix(environment) -> str:
    return PREFIXES[environment.parsed_options.mode]
