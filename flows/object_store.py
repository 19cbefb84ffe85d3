"""Warehouses on object storage (``s3://bucket/prefix``): files through fsspec/s3fs, views through httpfs.

A build works in a local work folder that mirrors the warehouse (the landed pages and the
current snapshot; see :func:`work_folder`) and publishes to the store in the order readers need:
every new file first, then ``warehouse.json``, whose upload (one PUT, atomic on S3) is the commit.
Unchanged table files reach the new snapshot by server-side copies, not uploads. Readers follow
the store's manifest: ``cables.duckdb`` is built in the reader's own work folder, its views
reading the snapshot's Parquet files by their ``s3://`` URLs through DuckDB's httpfs extension.

Credentials and endpoint come from the usual environment variables (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_REGION``, ``AWS_ENDPOINT_URL`` for an
S3-compatible server such as MinIO), read by s3fs and, for DuckDB, by :func:`s3_secret_sql`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from cables.duckdb_extensions import extension_file
from cables.sqlquote import sql_literal
from flows.layout import (
    FETCH_FAILURE_TABLE,
    LANDING_TABLE,
    MANIFEST_FILE,
    SNAPSHOTS_DIR,
    BuildError,
    Warehouse,
    crash_point,
    is_remote,
    reads_as_pattern,
)


def work_folder(uri: str) -> Path:
    """The local work folder of the object-store warehouse ``uri``: ``CABLES_WORK_DIR``, else
    ``$XDG_CACHE_HOME/cables-warehouse`` (``~/.cache/cables-warehouse``), then ``s3/<bucket>/<prefix>``.
    It holds the build's mirror of the landed pages and tables and the reader's ``cables.duckdb``."""
    base = os.environ.get("CABLES_WORK_DIR")
    if not base:
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        base = Path(cache) / "cables-warehouse"
    parts = urlsplit(uri)
    return Path(base).expanduser().resolve() / parts.scheme / parts.netloc / parts.path.strip("/")


def check_uri(uri: str) -> str:
    """``uri`` without a trailing slash, if it is an ``s3://bucket[/prefix]`` URL; else BuildError."""
    parts = urlsplit(uri)
    if parts.scheme != "s3" or not parts.netloc:
        raise BuildError(f"an object-store warehouse must be an s3://bucket/prefix URL, not {uri!r}")
    if reads_as_pattern(uri):
        raise BuildError(f"an object-store warehouse's URL cannot hold [, *, ? or a backslash: {uri!r}")
    return uri.rstrip("/")


def filesystem():
    """The s3fs file system, configured from the environment (credentials, AWS_ENDPOINT_URL)."""
    import fsspec

    # A new instance each time: fsspec's cache would keep an endpoint the environment changed since.
    return fsspec.filesystem("s3", use_listings_cache=False, skip_instance_cache=True)


def _key(uri: str) -> str:
    """``bucket/key`` of an ``s3://`` URL, as s3fs names objects."""
    return uri.split("://", 1)[1].rstrip("/")


def pull(wh: Warehouse, *, data: bool) -> dict | None:
    """Bring the work folder up to the store: its manifest (the store's is the truth; none there
    removes the local one) and the build records; with ``data``, also the landed files the
    manifest lists and the current snapshot's tables, those missing locally (files never
    change once written, so a name present is the file). Returns the manifest."""
    fs, base = filesystem(), _key(wh.remote)
    wh.root.mkdir(parents=True, exist_ok=True)
    remote_manifest = f"{base}/{MANIFEST_FILE}"
    if not fs.exists(remote_manifest):
        wh.manifest_path.unlink(missing_ok=True)
        return None
    wanted = {f"{base}/{MANIFEST_FILE}": wh.manifest_path}
    _download(fs, wanted, wh, overwrite=True)
    manifest = wh.manifest()
    wanted = {key: wh.root / key[len(base) + 1 :] for key in fs.find(f"{base}/runs")}
    if data:
        for table in (LANDING_TABLE, FETCH_FAILURE_TABLE):
            for name in manifest.get("files", {}).get(table, []):
                wanted[f"{base}/{table}/{name}"] = wh.root / table / name
        snapshot = manifest.get("snapshot")
        if snapshot:
            for key in fs.find(f"{base}/{SNAPSHOTS_DIR}/{snapshot}"):
                wanted[key] = wh.root / key[len(base) + 1 :]
    _download(fs, {k: p for k, p in wanted.items() if not p.exists()}, wh)
    return manifest


def _download(fs, wanted: dict[str, Path], wh: Warehouse, *, overwrite: bool = False) -> None:
    """Download ``key -> local path`` (concurrently) through a temporary folder: a killed pull
    never leaves a partial file under a final name."""
    if not wanted:
        return
    tmp = wh.root / ".staging" / f"pull-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        keys = list(wanted)
        temps = [str(tmp / str(i)) for i in range(len(keys))]
        fs.get(keys, temps)
        for key, temp in zip(keys, temps, strict=True):
            target = wanted[key]
            target.parent.mkdir(parents=True, exist_ok=True)
            if overwrite or not target.exists():
                os.replace(temp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def push(wh: Warehouse, manifest: dict, previous: dict | None) -> None:
    """Publish the work folder's commit to the store: the landed files and the new snapshot's
    tables it lacks, then the manifest, uploaded last: the store's commit point. A build stopped
    before that leaves the store's warehouse as it was (the files already sent are removed by
    the next build's garbage collection).

    ``manifest``: the one just committed in the work folder; ``previous``: the one the build
    started from. Files of the new snapshot that are hard links to files of ``previous``'s
    snapshot (unchanged tables) are copied inside the store, not uploaded again."""
    fs, base = filesystem(), _key(wh.remote)
    present = set(fs.find(base))
    uploads: dict[Path, str] = {}
    for table in (LANDING_TABLE, FETCH_FAILURE_TABLE):
        for name in manifest["files"].get(table, []):
            if f"{base}/{table}/{name}" not in present:  # a stopped push may have sent it
                uploads[wh.root / table / name] = f"{base}/{table}/{name}"
    snapshot = manifest.get("snapshot")
    copies: dict[str, str] = {}
    if snapshot:
        old = (previous or {}).get("snapshot")
        old_files = {}
        if old and old != snapshot:
            for file in _files(wh.snapshot_dir(old)):
                old_files[_inode(file)] = file
        # Its tables and its search index (whose unchanged segments are links to the old one's).
        for file in _files(wh.snapshot_dir(snapshot)):
            key = f"{base}/{file.relative_to(wh.root).as_posix()}"
            if key in present:  # already on the store
                continue
            same = old_files.get(_inode(file))
            old_key = same and f"{base}/{same.relative_to(wh.root).as_posix()}"
            if old_key and old_key in present:
                copies[old_key] = key
            else:
                uploads[file] = key
    if uploads:
        fs.put([str(p) for p in uploads], list(uploads.values()))
    if copies:  # server-side copies, run concurrently
        fs.copy(list(copies), list(copies.values()))
    crash_point("push")
    fs.put_file(str(wh.manifest_path), f"{base}/{MANIFEST_FILE}")


def _files(folder: Path) -> list[Path]:
    """The files of a snapshot folder, sorted; not the search index's lock files."""
    return sorted(f for f in folder.rglob("*") if f.is_file() and not f.name.startswith(".tantivy-"))


def pull_index(wh: Warehouse, snapshot: str) -> None:
    """Bring the search index of ``snapshot`` from the store into the work folder (the files it
    lacks; the version file last, so an interrupted pull is not taken for an index)."""
    from cables.search import INDEX_DIR, VERSION_FILE

    fs, base = filesystem(), _key(wh.remote)
    prefix = f"{base}/{SNAPSHOTS_DIR}/{snapshot}/{INDEX_DIR}"
    keys = fs.find(prefix)
    wanted = {key: wh.root / key[len(base) + 1 :] for key in keys if not key.endswith("/" + VERSION_FILE)}
    _download(fs, {k: p for k, p in wanted.items() if not p.exists()}, wh)
    last = {key: wh.root / key[len(base) + 1 :] for key in keys if key.endswith("/" + VERSION_FILE)}
    _download(fs, last, wh, overwrite=True)


def _inode(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_dev


def push_run(wh: Warehouse, run_path: Path) -> None:
    """Upload a build's record, ``runs/<run id>.json``."""
    filesystem().put_file(str(run_path), f"{_key(wh.remote)}/runs/{run_path.name}")


def collect_garbage(wh: Warehouse) -> list[str]:
    """Delete from the store what no reader can reach: snapshots other than the manifest's current
    and previous ones, landing files neither live nor retired. Returns the keys deleted."""
    fs, base = filesystem(), _key(wh.remote)
    manifest = wh.manifest()
    if manifest is None:
        return []
    keep = {manifest.get("snapshot"), manifest.get("previous_snapshot")}
    doomed = []
    for key in fs.find(f"{base}/{SNAPSHOTS_DIR}"):
        snapshot = key[len(base) + len(SNAPSHOTS_DIR) + 2 :].split("/", 1)[0]
        if snapshot not in keep:
            doomed.append(key)
    for table in (LANDING_TABLE, FETCH_FAILURE_TABLE):
        wanted = {*manifest.get("files", {}).get(table, []), *manifest.get("retired", {}).get(table, [])}
        doomed += [key for key in fs.find(f"{base}/{table}") if key.rsplit("/", 1)[-1] not in wanted]
    if doomed:
        fs.rm(doomed)
    return doomed


def httpfs_extension_path() -> Path:
    """The ``httpfs`` extension file shipped by the ``duckdb-extension-httpfs`` package."""
    return extension_file("httpfs", BuildError)


def s3_secret_sql() -> str:
    """``CREATE SECRET`` for DuckDB's httpfs from the AWS environment variables s3fs reads too."""
    env = os.environ
    options = {"type": "s3"}
    if env.get("AWS_ACCESS_KEY_ID"):
        options["key_id"] = env["AWS_ACCESS_KEY_ID"]
        options["secret"] = env.get("AWS_SECRET_ACCESS_KEY", "")
    if env.get("AWS_SESSION_TOKEN"):
        options["session_token"] = env["AWS_SESSION_TOKEN"]
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        options["region"] = region
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        options["endpoint"] = parts.netloc + parts.path.rstrip("/")
        options["url_style"] = "path"
        options["use_ssl"] = "false" if parts.scheme == "http" else "true"
    body = ", ".join(f"{k} {v if k in ('type', 'use_ssl') else sql_literal(v)}" for k, v in options.items())
    return f"create or replace secret cables_s3 ({body})"


def enable_s3(con) -> None:
    """Make ``con`` read ``s3://`` URLs: load httpfs from its file (no download), add the secret."""
    if not con.execute("select count(*) from duckdb_settings() where name = 's3_endpoint'").fetchone()[0]:
        con.execute(f"load {sql_literal(str(httpfs_extension_path()))}")
    con.execute(s3_secret_sql())


__all__ = ["check_uri", "collect_garbage", "enable_s3", "is_remote", "pull", "push", "work_folder"]
