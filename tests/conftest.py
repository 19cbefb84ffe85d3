"""Shared fixtures: the bundled sample, a warehouse built from it by a real flow run, the corpus."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from hypothesis import settings as hypothesis_settings

from cables.settings import PROJECT_ROOT, SAMPLE_DIR

# Timing is the benchmark's business: on a loaded 2-core machine a property test must not fail
# because one example took longer than hypothesis' default 200 ms.
hypothesis_settings.register_profile("cables", deadline=None)
hypothesis_settings.load_profile("cables")

SHARED_DIR = Path(os.environ.get("CABLES_SHARED_DIR", PROJECT_ROOT.parent / "shared"))
CORPUS_ARCHIVE = SHARED_DIR / "corpus" / "cablegate-pages.tar.xz"
CORPUS_2011_ARCHIVE = SHARED_DIR / "corpus" / "cablegate-pages-2011.tar.xz"


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect server for the whole test session (one start-up, ~20 s); flows run on it
    (from this thread) as `cables build` runs them (``flows.build.direct_runs``: no heartbeats)."""
    from prefect.testing.utilities import prefect_test_harness

    from flows.build import direct_runs

    with prefect_test_harness(server_startup_timeout=180), direct_runs():
        yield


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def sample_build(prefect_harness, tmp_path_factory) -> dict:
    """The result of a real flow run building a warehouse from the bundled sample."""
    from flows.build import build_warehouse

    return build_warehouse(source=str(SAMPLE_DIR), warehouse=str(tmp_path_factory.mktemp("wh") / "warehouse"))


@pytest.fixture(scope="session")
def sample_warehouse(sample_build) -> Path:
    """The folder of the warehouse built from the bundled sample (treat it as read-only)."""
    return Path(sample_build["warehouse"])


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    """The shared corpus of 9,490 real pages, unpacked; skips when ../shared is absent."""
    if not CORPUS_ARCHIVE.exists():
        pytest.skip(f"shared corpus not found ({CORPUS_ARCHIVE.name} beside the project); skipping corpus tests")
    target = tmp_path_factory.mktemp("corpus")
    if shutil.which("tar"):
        subprocess.run(["tar", "xJf", str(CORPUS_ARCHIVE), "-C", str(target)], check=True)
    else:  # pragma: no cover - every CI machine has tar
        import tarfile

        with tarfile.open(CORPUS_ARCHIVE) as archive:
            archive.extractall(target, filter="data")
    return target


@pytest.fixture(scope="session")
def corpus_2011_archive() -> Path:
    """The later viewer build's 2,259 real pages, as the shared archive; skips when ../shared is absent."""
    if not CORPUS_2011_ARCHIVE.exists():
        pytest.skip(f"shared corpus not found ({CORPUS_2011_ARCHIVE.name} beside the project); skipping its tests")
    return CORPUS_2011_ARCHIVE


@pytest.fixture(scope="session")
def corpus_2011_dir(corpus_2011_archive, tmp_path_factory) -> Path:
    """The later viewer build's pages, unpacked."""
    target = tmp_path_factory.mktemp("corpus-2011")
    subprocess.run(["tar", "xJf", str(corpus_2011_archive), "-C", str(target)], check=True)
    return target
