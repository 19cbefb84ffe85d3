"""Prefect flows and the I/O around the transforms: landing pages, Parquet tables, DuckDB views."""
