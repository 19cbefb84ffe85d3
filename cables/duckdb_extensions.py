"""DuckDB extensions loaded from their registry packages (``duckdb-extension-<name>``): no download."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import duckdb


def extension_file(name: str, error: type[Exception]) -> Path:
    """The file of the DuckDB extension ``name`` (``httpfs``) that the package
    ``duckdb-extension-<name>`` ships for this DuckDB, to ``LOAD``; ``error`` says what to
    install when the package or the file is missing."""
    wanted = f"pip install duckdb-extension-{name}=={duckdb.__version__}"
    try:
        package = resources.files(f"duckdb_extension_{name}")
    except ModuleNotFoundError:
        raise error(f"the DuckDB {name} extension is not installed ({wanted})") from None
    path = Path(str(package / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"))
    if not path.is_file():
        raise error(f"no {name} extension for DuckDB {duckdb.__version__} in {path.parent.parent} ({wanted})")
    return path
