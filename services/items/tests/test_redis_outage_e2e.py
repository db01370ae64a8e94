"""Redis goes away under a running items process, and comes back.

Reads of an item must still succeed in both modes, with the stored count, and the log
must say which view was not counted; once Redis is back, counting resumes by itself.
On Postgres alone: the database is not what goes away.
"""

import json
import secrets
import time
from pathlib import Path

import httpx
import pytest

from devstack.servers import RedisServer
from testkit.apps import MODES
from testkit.backends import only_on
from testkit.keys import MintToken
from testkit.processes import SpawnUvicorn

pytestmark = [pytest.mark.e2e, only_on("postgres")]


def warnings_in(log: Path) -> list[str]:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [line["message"] for line in lines if line["level"] == "warning"]


def views_of(client: httpx.Client, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200, response.text
    views: int = response.json()["views"]
    return views


def test_reads_survive_a_redis_outage_and_counting_resumes(
    fresh_database_url: str,
    spawn_uvicorn: SpawnUvicorn,
    own_redis: RedisServer,
    mint_token: MintToken,
    tmp_path: Path,
) -> None:
    base_url = spawn_uvicorn(
        "items_service.main:app",
        DATABASE_URL=fresh_database_url,
        REDIS_URL=own_redis.url,
        VIEWS_KEY_PREFIX=f"items-e2e-{secrets.token_hex(4)}:views",
        PYTHONUNBUFFERED="1",  # the log is read while it runs
    )
    log = tmp_path / f"items_service-{httpx.URL(base_url).port}.log"
    with httpx.Client(base_url=base_url, timeout=30) as client:
        headers = {"Authorization": f"Bearer {mint_token('1')}"}
        item = client.post("/api/items", json={"title": "Kettle"}, headers=headers).json()
        paths = [f"{api}/items/{item['id']}" for api in MODES.values()]
        assert [views_of(client, path) for path in paths] == [1, 2]

        own_redis.stop()
        for path in paths:
            # Stored count: the two views above are still in the stopped Redis, not flushed.
            assert views_of(client, path) == 0
        lost = [m for m in warnings_in(log) if m.startswith(f"view of item {item['id']} ")]
        assert len(lost) == len(paths), warnings_in(log)
        assert all(" not counted: " in message for message in lost)

        own_redis.start()  # empty: this Redis keeps nothing on disk
        deadline = time.monotonic() + 10
        for path in paths:
            # A pooled connection that died with Redis may lose one more view.
            while (views := views_of(client, path)) == 0:
                assert time.monotonic() < deadline, "counting did not resume"
                time.sleep(0.1)
        assert views_of(client, paths[0]) == views + 1
