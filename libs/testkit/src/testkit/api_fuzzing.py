"""schemathesis against a running service: every operation its OpenAPI document lists,
in both modes, with every check (`--checks all`), a bounded number of cases and no
randomness (`--generation-deterministic`: the same cases every run, no example database;
one worker, so the same order too).

Checks disabled: none. Relaxed, each for a reason:
- each mode is a run of its own: /api and /sync/api share their data, which schemathesis
  cannot know, so an item deleted through /sync/api and then asked for through /api
  read as a created resource gone missing (ensure_resource_availability). The probes
  (/healthz, /readyz) go with /api;
- cases meant to be accepted carry no listing cursor (testkit.schemathesis_hooks):
  the document states a cursor's form (unpadded URL-safe base64, bounded), but only
  the service makes one that holds a position; cases meant to be refused still send
  anything there, and must get a 422 (positive_data_acceptance, for `cursor` alone);
- Hypothesis' `too_slow` health check is off: it measures time, and on a busy machine
  it would fail a run whose every answer was right.
Through the gateway (`through_gateway`, the merged document at its /openapi.json), two
more, both nginx's own doing before any service sees the request (GATEWAY_CONFIG):
- TRACE is not among the undeclared methods sent: nginx refuses it itself, before
  routing, with a 405 that cannot name the path's methods (`Allow`); the services' own
  runs send it;
- a 414 (URI Too Long, documented: the gateway's 8 KiB request line) counts as invalid
  input refused, as a 422 would: a maximal cursor with characters that take 12 bytes
  each once percent-encoded is longer, and only such invalid input is.
Tokens come from a live account (testkit.schemathesis_hooks): the runs log out, change
passwords and delete accounts, their own included.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Cases per operation and phase. The six runs (three services, each on the database it
# is deployed on, two modes) take 31-63 s each with 100 on 2 cores (measured
# 2026-12-07); 30 missed the NUL in a login username that 150 found.
MAX_EXAMPLES = 100
MODES = {
    "async": r"^/api/|^/healthz$|^/readyz$",
    "sync": r"^/sync/api/",
}
HOOKS = "testkit.schemathesis_hooks"
# schemathesis.toml of the runs through the gateway (see above). The statuses are
# schemathesis' defaults for these settings, with TRACE left out and 414 added.
GATEWAY_CONFIG = """\
[phases.coverage]
unexpected-methods = ["get", "put", "post", "delete", "options", "patch", "query"]

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "414", "415", "422",
                     "428", "429", "5xx"]
"""


@dataclass(frozen=True)
class FuzzRun:
    mode: str
    exit_code: int
    output: str

    @property
    def passed(self) -> bool:
        return self.exit_code == 0

    def summary(self) -> str:
        """The report's failures and summary: what a failed test shows."""
        start = self.output.find("=== FAILURES ===")
        if start == -1:
            start = self.output.find("=== SUMMARY ===")
        return self.output[max(start - 100, 0) :] if start != -1 else self.output[-6000:]


def run_schemathesis(
    base_url: str,
    *,
    mode: str,
    users_url: str,
    workdir: Path,
    max_examples: int = MAX_EXAMPLES,
    through_gateway: bool = False,
) -> FuzzRun:
    """One schemathesis run over the operations of `mode` of the service (or, with
    `through_gateway`, the gateway) at `base_url`; tokens come from the users service
    at `users_url` (testkit.schemathesis_hooks)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = []
    if through_gateway:
        (workdir / "schemathesis.toml").write_text(GATEWAY_CONFIG)
        config = ["--config-file", str(workdir / "schemathesis.toml")]
    argv = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        *config,
        "run",
        f"{base_url}/openapi.json",
        "--include-path-regex",
        MODES[mode],
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        # The same cases every run: no seed drawn, no example database.
        "--generation-deterministic",
        "--suppress-health-check",
        "too_slow",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
    ]
    env = os.environ | {"SCHEMATHESIS_HOOKS": HOOKS, "SCHEMATHESIS_USERS_URL": users_url}
    # Run in `workdir`: a schemathesis.toml is looked for from the working directory up,
    # and none of a developer's may change these runs.
    finished = subprocess.run(  # noqa: S603 - argv is built here
        argv, env=env, cwd=workdir, capture_output=True, text=True, check=False
    )
    output = finished.stdout + finished.stderr
    (workdir / f"schemathesis-{mode}.txt").write_text(output)
    return FuzzRun(mode, finished.returncode, output)
