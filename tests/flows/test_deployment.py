"""prefect.yaml for real: the README's "Scheduled builds" blocks, run as printed, schedule and run builds."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import polars as pl
import pytest
import yaml

from cables.settings import PROJECT_ROOT
from tests.prefect_events import heartbeat_runs
from tests.readme import sh_blocks

DEPLOYMENT = "build-warehouse/nightly"
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def test_prefect_yaml_schedules_the_build_flow():
    config = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text())
    (deployment,) = config["deployments"]
    assert deployment["entrypoint"] == "flows/build.py:build_warehouse"
    assert deployment["schedules"][0]["cron"] and deployment["work_pool"]["name"] == "cables-local"
    steps = [next(iter(step)) for step in config["pull"]]
    assert steps == ["prefect.deployments.steps.set_working_directory"]  # no git, no network
    assert config["build"] is None and config["push"] is None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def project_copy(target: Path) -> Path:
    """``target`` filled with the project's files as a fresh clone has them, and this venv as ``.venv``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT, capture_output=True, check=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.split(b"\0")):
        source = PROJECT_ROOT / os.fsdecode(name)
        if source.is_file():  # a tracked file deleted in the work tree is not copied
            (target / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / os.fsdecode(name))
    (target / ".venv").symlink_to(Path(sys.prefix))
    return target


def for_the_test(block: str, port: int, source: Path) -> str:
    """The README's block with what a test must change: a free port for 4200, the sample for the user's pages."""
    return block.replace("4200", str(port)).replace("$HOME/saved-cable-pages", shlex.quote(str(source)))


def processes_with(marker: bytes) -> list[int]:
    """The live processes whose environment holds ``marker``: everything the blocks started, children included."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:  # gone meanwhile, or another user's
            continue
    return found


def stop_all(marker: bytes) -> None:
    """Stops every process holding ``marker`` (SIGTERM, then SIGKILL after 15 s)."""
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        for pid in processes_with(marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.5)


def seconds_alive(pid: int) -> float:
    """How long process ``pid`` has been running, in seconds."""
    start_ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def tail(path: Path, chars: int = 3000) -> str:
    """The end of a log file, or a note that it does not exist."""
    return path.read_text(errors="replace")[-chars:] if path.exists() else f"({path.name}: none)"


def flow_runs(api: httpx.Client, deployment_id: str) -> list[dict]:
    """The deployment's flow runs, the earliest expected start first."""
    answer = api.post(
        "/flow_runs/filter",
        json={"flow_runs": {"deployment_id": {"any_": [deployment_id]}}, "sort": "EXPECTED_START_TIME_ASC"},
    )
    answer.raise_for_status()
    return answer.json()


def scheduled_by_the_server(api: httpx.Client, deployment_id: str, seconds: float) -> list[dict]:
    """The runs the server's scheduler created for the deployment (waits for them up to ``seconds``)."""
    deadline = time.monotonic() + seconds
    while True:
        runs = [r for r in flow_runs(api, deployment_id) if r["auto_scheduled"] and r["state_type"] == "SCHEDULED"]
        if runs or time.monotonic() > deadline:
            return runs
        time.sleep(2)


def final_state(api: httpx.Client, run_id: str, seconds: float) -> str:
    """The terminal state type the flow run reaches (or its state when ``seconds`` are up)."""
    deadline = time.monotonic() + seconds
    while True:
        state = api.get(f"/flow_runs/{run_id}").json()["state_type"]
        if state in TERMINAL or time.monotonic() > deadline:
            return state
        time.sleep(2)


@pytest.mark.slow
def test_the_readmes_scheduled_builds_run_as_printed(tmp_path):
    """The README's two "Scheduled builds" blocks, run as printed in a terminal, in a copy of the project.

    The terminal is an interactive bash on a pseudo-terminal (``script``), as a user's: job control,
    and commands that see a terminal (``prefect server start`` would ask a question there without
    the block's ``PREFECT_CLI_PROMPT=false``). Only two things are substituted, visibly: a free
    loopback port for 4200, and the bundled sample for ``$HOME/saved-cable-pages``; the shell gets a
    ``PREFECT_HOME`` of its own and no ``PREFECT_*``, ``CABLES_*`` or ``DO_NOT_TRACK`` variable, so
    the telemetry settings in force are the block's.
    Between the start block and the stop block the test checks what makes nightly builds happen:

    - the manual run of the block completed (``--watch`` exits 0 only then);
    - the server's scheduler created the deployment's runs at 05:00 UTC on the next days, with the
      deployment's own parameters (the CLI does not create them: only a live scheduler does);
    - the first of them, made due now by giving it its own Scheduled state with an earlier time
      (what the clock does at 05:00), is picked up by the worker and completes with those
      parameters, the warehouse gets a second build and the exports are written: a scheduled run
      really runs, unattended, and sends Prefect's heartbeats;
    - the background server is still healthy after all this and more than 65 s after its start
      (without the block's settings it exits at its first log line, 10-60 s after the start
      offline).

    Then the stop block must leave no process of the blocks behind.
    """
    port = free_port()
    project = project_copy(tmp_path / "cables-warehouse")
    home = tmp_path / "prefect-home"
    ready, go, log = tmp_path / "started", tmp_path / "stop-now", tmp_path / "blocks.log"
    start, stop = sh_blocks("Scheduled builds")
    assert "4200" in start and "$HOME/saved-cable-pages" in start, start  # else the test would not substitute them
    script = tmp_path / "blocks.sh"
    script.write_text(
        "\n".join(
            [
                for_the_test(start, port, project / "data" / "sample"),
                f": > {shlex.quote(str(ready))}  # the test checks the running services here",
                f"while [ ! -e {shlex.quote(str(go))} ]; do sleep 0.2; done",
                for_the_test(stop, port, project / "data" / "sample"),
            ]
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CABLES_")) and k != "DO_NOT_TRACK"}
    env["PREFECT_HOME"] = str(home)
    marker = f"PREFECT_HOME={home}\0".encode()
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=30)
    # An interactive bash on a terminal of its own (``script``), as in a terminal: job control, and
    # commands that see a terminal (and would ask questions); -e stops at the first failing line.
    terminal = f"bash --norc --noprofile -i -e {shlex.quote(str(script))}"
    shell = subprocess.Popen(
        ["script", "--quiet", "--return", "--command", terminal, "/dev/null"],
        cwd=project, env=env, stdin=subprocess.DEVNULL, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while not ready.exists():
            assert shell.poll() is None, f"the start block failed ({shell.returncode}):\n{tail(log)}"
            assert time.monotonic() < deadline, f"the start block is still running after 600 s:\n{tail(log)}"
            time.sleep(1)
        server = int((home / "server.pid").read_text())
        assert api.get("/admin/settings").json()["server"]["analytics_enabled"] is False
        worker_env = Path(f"/proc/{(project / 'worker.pid').read_text().strip()}/environ").read_bytes().split(b"\0")
        assert b"DO_NOT_TRACK=1" in worker_env and b"PREFECT_SERVER_ANALYTICS_ENABLED=false" in worker_env

        deployment = api.get(f"/deployments/name/{DEPLOYMENT}").json()
        (manual,) = [r for r in flow_runs(api, deployment["id"]) if not r["auto_scheduled"]]
        assert manual["state_type"] == "COMPLETED" and manual["parameters"]["source"] == str(project / "data/sample")

        scheduled = scheduled_by_the_server(api, deployment["id"], seconds=120)
        assert scheduled, "the server's scheduler created no run for the deployment"
        times = [datetime.fromisoformat(r["expected_start_time"]).astimezone(UTC) for r in scheduled]
        now = datetime.now(UTC)
        assert all(t > now and (t.hour, t.minute, t.second) == (5, 0, 0) for t in times), times
        assert times[0] - now <= timedelta(days=1) and len(set(times)) == len(times)
        nightly = scheduled[0]
        assert nightly["parameters"] == deployment["parameters"]
        due = {"type": "SCHEDULED", "name": "Scheduled", "state_details": {"scheduled_time": now.isoformat()}}
        answer = api.post(f"/flow_runs/{nightly['id']}/set_state", json={"state": due, "force": True})
        assert answer.json()["status"] == "ACCEPT", answer.text
        state = final_state(api, nightly["id"], seconds=420)
        assert state == "COMPLETED", f"the scheduled run ended {state}:\n{tail(project / 'worker.log')}"
        # Unlike `cables build`, a deployment's runs send Prefect's heartbeats (for an automation
        # that marks a stalled run crashed).
        assert heartbeat_runs(api, [nightly["id"]], until=nightly["id"], seconds=30) == {nightly["id"]}

        warehouse = project / "warehouse"
        manual_build, nightly_build = [json.loads(p.read_text()) for p in sorted((warehouse / "runs").glob("*.json"))]
        assert nightly_build["source"] == nightly["parameters"]["source"] == "data/sample"  # read in the project folder
        assert nightly_build["landing"]["files_seen"] == manual_build["landing"]["files_seen"]
        with duckdb.connect(str(warehouse / "cables.duckdb"), read_only=True) as con:
            assert con.execute("select count(*) from cable").fetchone()[0] == 32
            overview = con.execute("select count(*) from cable_overview").fetchone()[0]
        exports = project / "exports"
        assert pl.read_parquet(exports / "cable_overview.parquet").height == overview
        assert sorted(p.name for p in exports.iterdir()) == sorted(
            f"{n}.parquet" for n in deployment["parameters"]["exports"]
        )

        time.sleep(max(0.0, 65 - seconds_alive(server)))
        assert api.get("/health").status_code == 200 and int((home / "server.pid").read_text()) == server

        go.touch()
        assert shell.wait(timeout=120) == 0, f"the stop block failed:\n{tail(log)}"
        deadline = time.monotonic() + 60
        while processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not processes_with(marker), f"left running: {processes_with(marker)}\n{tail(log)}"
        assert not (home / "server.pid").exists() and not (project / "worker.pid").exists()
    finally:
        api.close()
        stop_all(marker)
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGKILL)
        shell.wait(timeout=30)
