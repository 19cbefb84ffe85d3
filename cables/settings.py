"""Settings of the warehouse, read from ``CABLES_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
SQL_DIR = PROJECT_ROOT / "sql"


class Settings(BaseSettings):
    """Where the warehouse lives and how a build is cut into batches."""

    model_config = SettingsConfigDict(env_prefix="CABLES_")

    warehouse: Path = Path("warehouse")
    source: Path = SAMPLE_DIR
    sql_dir: Path = SQL_DIR
    landing_chunk_pages: int = 1000
    parse_batches: int = 4


def settings() -> Settings:
    """The settings in force (environment read at each call, so tests can change it)."""
    return Settings()
