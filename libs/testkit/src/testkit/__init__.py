"""The one pytest plugin (`-p testkit`) and the helpers the tests share.

A service's conftest provides two session fixtures:
- `alembic_ini`: the path of the service's alembic.ini;
- `app_factory`: `(database_url, redis_url) -> FastAPI`.

It gets, one module per concern:
- `servers`: `server_urls`, `redis_url` (real Postgres, MariaDB and Redis);
- `own_servers`: `own_redis` (a Redis of one test's own, to stop and start);
- `backends`: `before_any_sql` and `only_on`, for tests that need not run on both;
- `suites`: tests every service runs alike, defined once (see there);
- `databases`: `database_url` (migrated once per backend and session),
  `empty_database_url` and `fresh_database_url` (a test's own), `migrate`;
- `apps`: `app` (the service's app with its lifespan), `api` (both modes, `MODES`);
- `transactions`: `transaction`, `client` and `sql`, rolled back after each test;
- `processes`: `spawn_uvicorn` (a real service process);
- `keys`: `jwt_private_key`, `jwt_public_key`, `mint_token`;
- `forgeries`: `forge_token` and `FORGERIES`, tokens that must authenticate nobody;
- `owners`: `Owner`, `owner_factory`, `owner` (a user id with a valid token);
- `bad_input`: the tables of bad ids, cursors and echoed input every service refuses;
- `browser`: `browser` (headless Chromium, for what only a browser does);
- `spans`: `recorded_spans` (the spans this process ends during a test);
- `assertions`: `assert_problem`, `assert_invalid`, `first_with_status`;
- `local_stack`: `local_stack` (the whole system as `make run` starts it),
  `users_beside` (a real users process for tokens).

Beside the fixtures, the harness the tests drive: `api_fuzzing` (schemathesis runs, with
`schemathesis_hooks`), `otlp_receiver` (the spans processes export), `raw_http` (HTTP/1.1
straight off the socket).

Servers come from TEST_POSTGRES_URL, TEST_MYSQL_URL and TEST_REDIS_URL (default: the
standard local ports); one that does not answer is started for the run from the
machine's own binaries (see devstack).
"""

# The modules that define fixtures; pytest registers each as a plugin of its own.
pytest_plugins = [
    "testkit.servers",
    "testkit.browser",
    "testkit.own_servers",
    "testkit.databases",
    "testkit.apps",
    "testkit.transactions",
    "testkit.processes",
    "testkit.keys",
    "testkit.forgeries",
    "testkit.owners",
    "testkit.spans",
    "testkit.assertions",
    "testkit.local_stack",
]
