"""A check after a deploy, against any system that runs: the generated Python client's
walk through the API (loadtest.client_check), then every scenario for a few seconds
(headless Locust), each in both modes through the gateway, one line each; exits 1 when a
request failed or a scenario sent none.

    python -m loadtest.smoke --host http://pyservices-gateway.pyservices.svc:8080

`make cluster-smoke` and skaffold's verify stage run it inside the cluster, with the
loadtest image; the test suite runs it against the local stack.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import httpx

from loadtest import client_check
from loadtest.headless import SCENARIOS, LocustRun, run_headless
from loadtest.modes import MODES

# The line of the client's walk, beside the scenarios' lines.
CLIENT = "client"


def verdict_line(name: str, mode: str, requests: int, problems: list[str]) -> str:
    verdict = "FAILED" if problems else "ok"
    return "\n".join(
        [f"{name:<10} {mode:<5} {requests:>6} requests  {verdict}"]
        + [f"    {problem}" for problem in problems]
    )


def client_walk(host: str, mode: str) -> tuple[int, list[str]]:
    """(requests made, problems) of the client's walk in `mode`."""
    try:
        return client_check.walk(host, mode), []
    except client_check.CheckFailed as error:
        return 0, [str(error)]
    except httpx.HTTPError as error:
        return 0, [f"{type(error).__name__}: {error}"]


def problems_of(run: LocustRun) -> list[str]:
    """What makes a run fail the check: failed requests, or no requests at all."""
    total = run.stats.get("Aggregated")
    if total is None or total.requests == 0:
        return [f"no request was made (Locust exited {run.exit_code}): {run.log[-600:]}"]
    if total.failures == 0:
        return []
    # The counts come from the final JSON stats; the failures CSV, which says why, may
    # miss the last second's errors, so the count is reported even when it says nothing.
    details = [
        f"{row['Occurrences']} x {row['Method']} {row['Name']}: {row['Error']}"
        for row in run.failures
    ]
    return [f"{total.failures} of {total.requests} requests failed", *details]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.smoke", description=__doc__)
    parser.add_argument("--host", required=True, help="the gateway's base URL")
    parser.add_argument("--seconds", type=float, default=10, help="per scenario and mode")
    parser.add_argument("--users", type=int, default=4, help="concurrent Locust users")
    parser.add_argument("--accounts", type=int, default=100, help="seeded accounts to log in")
    args = parser.parse_args(argv)

    failed = False
    for mode in MODES:
        requests, problems = client_walk(args.host, mode)
        print(verdict_line(CLIENT, mode, requests, problems), flush=True)
        failed = failed or bool(problems)
    with tempfile.TemporaryDirectory(prefix="smoke-") as out:
        for scenario in SCENARIOS:
            for mode in MODES:
                run = run_headless(
                    args.host,
                    scenario,
                    mode=mode,
                    users=args.users,
                    seconds=args.seconds,
                    accounts=args.accounts,
                    out_dir=Path(out),
                )
                total = run.stats.get("Aggregated")
                requests = total.requests if total else 0
                problems = problems_of(run)
                print(verdict_line(scenario, mode, requests, problems), flush=True)
                failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
