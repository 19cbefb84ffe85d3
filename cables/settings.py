"""Settings of the warehouse, read from ``CABLES_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
SQL_DIR = PROJECT_ROOT / "sql"


class Settings(BaseSettings):
    """Where the warehouse lives and how a build is cut into batches."""

    model_config = SettingsConfigDict(env_prefix="CABLES_")

    # A folder, or an object-store URL (s3://bucket/prefix).
    warehouse: str = "warehouse"
    source: Path = SAMPLE_DIR
    sql_dir: Path = SQL_DIR
    landing_chunk_pages: int = 1000
    # Parse batches run this many at a time (0: one per CPU), each of at most batch_pages pages.
    parse_workers: int = 0
    batch_pages: int = 5000
    # Build the search index of subjects and paragraphs (`cables search`) with each snapshot; a
    # build updates it for the cables it touched.
    search_index: bool = True
    # DuckDB's memory limit while it builds cables.duckdb (the search index spills beyond it).
    build_memory_limit: str = "2GB"
    # HTTP sources: a crawl or URL list stops after this many pages, a crawl after this many index
    # pages (an endless pagination ends); the run record says so. The release has 251,287 cables.
    max_crawl_pages: int = 300_000
    max_index_pages: int = 100_000
    # HTTP sources: hosts a URL list may name besides its own (comma separated host, host:port or URL).
    allowed_hosts: str = ""
    # What one query typed by a user may cost (`cables sql`, `cables export`; see cables.sandbox):
    # seconds before it is stopped, DuckDB's memory limit, the resident memory at which the query
    # process is stopped, and the size of its spill folder (outside the warehouse).
    query_timeout: float = 120.0
    query_memory: str = "2GB"
    query_max_rss_mb: int = 3072
    query_temp_size: str = "4GB"
    # `cables report`: the address of a `cables serve` site the report's cables link to (empty: no links).
    serve_url: str = ""

    def workers(self) -> int:
        """Parse batches run at once: ``parse_workers``, else the number of CPUs."""
        return self.parse_workers if self.parse_workers > 0 else (os.cpu_count() or 1)


def settings() -> Settings:
    """The settings in force (environment read at each call, so tests can change it)."""
    return Settings()
