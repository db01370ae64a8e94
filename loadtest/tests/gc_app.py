"""An app whose every request leaves cyclic garbage behind: only the collector frees it,
so a few requests are sure to set off collections (test_gc_probe.py)."""

from typing import Any

from fastapi import FastAPI

CYCLES_PER_REQUEST = 5000

app = FastAPI()


@app.get("/garbage")
async def garbage() -> dict[str, Any]:
    for _ in range(CYCLES_PER_REQUEST):
        cycle: list[object] = []
        cycle.append(cycle)
    return {"cycles": CYCLES_PER_REQUEST}
