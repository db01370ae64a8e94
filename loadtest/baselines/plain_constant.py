"""Baseline (d) of `make bench-ceiling`: a plain FastAPI app answering constant JSON."""

from fastapi import FastAPI

CONSTANT = {"status": "ok", "service": "baseline", "answer": 42}

app = FastAPI()


@app.get("/constant")
async def constant() -> dict:
    return CONSTANT
