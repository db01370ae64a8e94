"""`python -m devstack run`: the local stack behind `make run`."""

import argparse
import sys

from devstack import stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run",
        help="start databases (if none answer), migrations, seeds, services and the gateway",
        description=(
            "Environment: POSTGRES_URL, MYSQL_URL, REDIS_URL (servers to use; throwaway ones "
            "start under .data/ when nothing answers), <SERVICE>_DATABASE_URL (a service's "
            "database, e.g. USERS_DATABASE_URL), GATEWAY_PORT (default 8080), "
            "GATEWAY_TRUSTED_PROXIES (proxies whose X-Forwarded-For names the client; "
            "default none), GATEWAY_CORS_ORIGINS (origins a browser page may call from; "
            "default none), GATEWAY_READ_RATE / GATEWAY_WRITE_RATE (requests per second "
            "per client; default 0, no limit), GATEWAY_GZIP_MIN_BYTES (default 1024), "
            "LOG_FORMAT (auto: console lines on a terminal, JSON lines otherwise; json; "
            'console); more in docs/api.md, "Gateway settings".'
        ),
    )
    arguments = parser.parse_args(argv)
    if arguments.command == "run":
        return stack.run()
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C before `run` took over the signals: nothing started
        sys.exit(130)
