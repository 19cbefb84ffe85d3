"""prefect.yaml for real: a Prefect server and a process worker on loopback run the deployment."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml

from cables.settings import PROJECT_ROOT

PREFECT = str(Path(sys.executable).parent / "prefect")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"no Prefect server at {url} after {seconds} s")


def test_prefect_yaml_schedules_the_build_flow():
    config = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text())
    (deployment,) = config["deployments"]
    assert deployment["entrypoint"] == "flows/build.py:build_warehouse"
    assert deployment["schedules"][0]["cron"] and deployment["work_pool"]["name"] == "cables-local"
    steps = [next(iter(step)) for step in config["pull"]]
    assert steps == ["prefect.deployments.steps.set_working_directory"]  # no git, no network
    assert config["build"] is None and config["push"] is None


@pytest.mark.slow
def test_the_deployment_runs_on_a_server_and_worker(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "CABLES_PROJECT_DIR": str(PROJECT_ROOT),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    env.pop("PREFECT_API_KEY", None)
    started = []

    def start(*args: str, log: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [PREFECT, *args],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=open(tmp_path / log, "w"),  # noqa: SIM115 - closed with the process
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped whole below
        )
        started.append(proc)
        return proc

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [PREFECT, *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout
        )

    try:
        start("server", "start", "--host", "127.0.0.1", "--port", str(port), log="server.log")
        wait_for(api, 180)
        assert run("work-pool", "create", "cables-local", "--type", "process").returncode == 0
        deployed = run("--no-prompt", "deploy", "--all")
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        schedule = run("deployment", "schedule", "ls", "build-warehouse/nightly")
        assert "0 5 * * *" in schedule.stdout, schedule.stdout
        start("worker", "start", "--pool", "cables-local", log="worker.log")
        warehouse = tmp_path / "warehouse"
        result = run(
            "deployment", "run", "build-warehouse/nightly", "--param", f"warehouse={warehouse}",
            "--param", f"export_dir={tmp_path / 'exports'}", "--watch", timeout=420,
        )  # fmt: skip
        log = (tmp_path / "worker.log").read_text()
        assert result.returncode == 0 and "Completed" in result.stdout, result.stdout[-2000:] + log[-2000:]
        with duckdb.connect(str(warehouse / "cables.duckdb"), read_only=True) as con:
            assert con.execute("select count(*) from cable").fetchone()[0] == 32
            overview = con.execute("select count(*) from cable_overview").fetchone()[0]
        # The deployment's scheduled exports, one file per view.
        assert pl.read_parquet(tmp_path / "exports" / "cable_overview.parquet").height == overview
        assert (tmp_path / "exports" / "tag_cooccurrence.parquet").exists()
    finally:
        for proc in reversed(started):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
