"""What a Prefect server holds of flow runs: their heartbeat events, the latest run."""

from __future__ import annotations

import time

import httpx


def heartbeat_runs(api: httpx.Client, run_ids: list[str], *, until: str, seconds: float) -> set[str]:
    """Of ``run_ids``, those the server at ``api`` holds a heartbeat event of. Events arrive in
    batches: waits up to ``seconds`` for the heartbeat of ``until`` (those of runs before it come
    first)."""
    query = {
        "filter": {
            "event": {"name": ["prefect.flow-run.heartbeat"]},
            "any_resource": {"id": [f"prefect.flow-run.{i}" for i in run_ids]},
        },
        "limit": 50,
    }
    deadline = time.monotonic() + seconds
    while True:
        answer = api.post("/events/filter", json=query)
        answer.raise_for_status()
        seen = {e["resource"]["prefect.resource.id"].rsplit(".", 1)[1] for e in answer.json()["events"]}
        if until in seen or time.monotonic() > deadline:
            return seen
        time.sleep(0.5)


def latest_run(api: httpx.Client) -> str:
    """The id of the flow run the server at ``api`` started last."""
    answer = api.post("/flow_runs/filter", json={"sort": "START_TIME_DESC", "limit": 1})
    answer.raise_for_status()
    (latest,) = answer.json()
    return latest["id"]
