"""`python -m grafana_dashboards`: write observability/dashboards/*.json from the code
(`make dashboards`); with `--check`, change nothing and exit 1 if a file is stale."""

import argparse
import sys
from pathlib import Path

from .render import DASHBOARDS_DIR, stale, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grafana_dashboards", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    parser.add_argument("--dir", type=Path, default=DASHBOARDS_DIR, help="where the JSON files are")
    args = parser.parse_args(argv)
    if args.check:
        names = stale(args.dir)
        for name in names:
            print(f"{args.dir / name} is not what the code makes: run `make dashboards`")
        return 1 if names else 0
    for name in write(args.dir):
        print(f"wrote {args.dir / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
