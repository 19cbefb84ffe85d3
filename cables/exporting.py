"""Exports: a query's result streamed to CSV or Parquet, one file or a folder of partitions.

The DuckDB connection stays sandboxed (it cannot write files): rows come out as Arrow record
batches and PyArrow writes them, batch by batch, so memory stays bounded by a batch.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from cables.sqlquote import sql_identifier
from flows.layout import is_remote, reads_as_pattern

FORMATS = ("csv", "parquet")
BATCH_ROWS = 50_000
# Partitions one export may write (one folder each).
MAX_PARTITIONS = 100_000
# A cell a spreadsheet would run as a formula: OWASP's list of leading characters.
FORMULA_START = r"^[=+\-@\t\r]"


class ExportError(RuntimeError):
    """The export cannot be done; the message says why."""


def read_only_statement(query: str) -> str:
    """The query if DuckDB's parser reads it as one query (or an EXPLAIN of one); else ExportError."""
    from cables.sandbox import SandboxError
    from cables.sandbox import read_only_statement as checked

    try:
        return checked(query)
    except SandboxError as exc:
        raise ExportError(str(exc)) from None


def view_query(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """``select *`` of the table or view ``name``, checked against the catalog (never pasted in unchecked)."""
    known = {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    if name not in known:
        raise ExportError(f"no table or view named {name!r}; known: {', '.join(sorted(known))}")
    return f"select * from {sql_identifier(name)}"


def csv_safe(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A batch a spreadsheet opens safely: lists joined with ``; ``, formula-like text neutralised.

    A list's null items are empty between their separators (``a; ; b``); a list of lists, a
    struct or a map is written as JSON. A text cell starting with ``=``, ``+``, ``-``, ``@``, tab
    or carriage return gets a leading ``'``, so a spreadsheet shows it as text instead of running it.
    """
    columns = []
    for column in batch.columns:
        if _nested(column.type):
            column = pa.array([None if v is None else _cell_text(v) for v in column.to_pylist()], pa.string())
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.fill_null(pc.match_substring_regex(column, FORMULA_START), False)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _nested(kind: pa.DataType) -> bool:
    return pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_struct(kind) or pa.types.is_map(kind)


def _cell_text(value) -> str:
    """A list of plain values as ``a; b`` (a null item empty); anything deeper as JSON."""
    if isinstance(value, list) and not any(isinstance(v, list | dict | tuple) for v in value):
        return "; ".join("" if v is None else str(v) for v in value)
    return json.dumps(value, default=str, ensure_ascii=False)


def _batches(reader: pa.RecordBatchReader, fmt: str) -> Iterator[pa.RecordBatch]:
    for batch in reader:
        yield csv_safe(batch) if fmt == "csv" else batch


def _csv_schema(schema: pa.Schema) -> pa.Schema:
    fields = []
    for f in schema:
        nested = pa.types.is_list(f.type) or pa.types.is_large_list(f.type) or pa.types.is_struct(f.type)
        fields.append(pa.field(f.name, pa.string()) if nested or pa.types.is_map(f.type) else f)
    return pa.schema(fields)


def export_query(
    source,
    query: str,
    fmt: str,
    out: Path | str,
    *,
    overwrite: bool = False,
    partition_by: list[str] | None = None,
    excel: bool = False,
    protected: Path | str | None = None,
) -> int:
    """Write the rows of ``query`` to ``out``; returns the number of rows written.

    ``source`` runs the query: a DuckDB connection (the build's own exports of named views), or
    a function starting it in the sandboxed query process (``cables.sandbox.run_query``, for
    SQL from users) and returning its result.

    Written to a temporary name beside ``out`` and renamed into place, so ``out`` is never half
    written. With ``partition_by``, ``out`` is a folder of hive-style partitions
    (``origin=Embassy Tripoli/part-0.parquet``). ``excel`` starts a CSV file with a UTF-8 byte
    order mark. ``protected`` (the warehouse folder or URL) is never written into or replaced.
    ``out`` may be an ``s3://`` URL: the file (or folder) is written locally, then uploaded.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if partition_by and excel:
        raise ExportError("--excel applies to a single CSV file, not to partitions")
    out = check_target(out, protected=protected, overwrite=overwrite, folder=fmt if partition_by else None)
    with _reader(source, query) as reader:
        if not is_remote(out):
            return _write(reader, fmt, Path(out), partition_by=partition_by, excel=excel)
        with tempfile.TemporaryDirectory(prefix="cables-export-") as local:
            staged = Path(local) / str(out).rstrip("/").rsplit("/", 1)[-1]
            rows = _write(reader, fmt, staged, partition_by=partition_by, excel=excel)
            upload(staged, str(out))
            return rows


@contextmanager
def _reader(source, query: str) -> Iterator[pa.RecordBatchReader]:
    """The rows of ``query`` as a record batch reader, closed (and its query stopped) on leaving."""
    from cables.sandbox import SandboxError, sql_error

    if isinstance(source, duckdb.DuckDBPyConnection):
        try:
            reader = source.execute(read_only_statement(query)).to_arrow_reader(BATCH_ROWS)
        except duckdb.Error as exc:
            raise ExportError(sql_error(exc)) from exc
        # An open reader keeps the query (and the database) busy: always close it.
        with reader:
            yield reader
        return
    try:
        with source(query) as result:
            yield pa.RecordBatchReader.from_batches(result.reader.schema, result.batches())
    except SandboxError as exc:
        raise ExportError(str(exc)) from None


def check_target(
    out: Path | str, *, protected: Path | str | None, overwrite: bool, folder: str | None = None
) -> Path | str:
    """``out`` as it will be written: a local path made absolute once ``check_output`` lets it be,
    or an ``s3://`` URL that is not inside the warehouse ``protected`` and exists only with
    ``overwrite``; else ExportError."""
    if not is_remote(out):
        out = Path(out).expanduser().absolute()
        check_output(out, protected=protected, overwrite=overwrite, folder=folder)
        return out
    if reads_as_pattern(str(out)):  # --overwrite would remove every object it matches
        raise ExportError(f"an s3:// export URL cannot hold [, *, ? or a backslash: {out}")
    if protected is not None and _inside(out, protected):
        raise ExportError(f"{out} is inside the warehouse (or holds it): write somewhere else")
    if _exists(out) and not overwrite:
        raise ExportError(f"{out} exists (use --overwrite to replace it)")
    return out


def check_output(out: Path, *, protected: Path | str | None, overwrite: bool, folder: str | None = None) -> None:
    """Refuse to write ``out`` where it would do harm: inside the warehouse ``protected`` (or
    holding it), over an existing file without ``overwrite``, or over a folder that is not an
    earlier export of partitions in format ``folder`` (a user's own folder, the working directory
    or one holding it, the home folder are never replaced). ``..`` and symbolic links are resolved."""
    if protected is not None and not is_remote(protected) and _inside(out, protected):
        raise ExportError(f"{out} is inside the warehouse (or holds it): write somewhere else")
    if not out.exists() and not out.is_symlink():
        return
    if not overwrite:
        raise ExportError(f"{out} exists (use --overwrite to replace it)")
    if out.is_symlink():
        raise ExportError(f"{out} is a symbolic link: write to a plain path")
    if not out.is_dir():
        return
    real, cwd = out.resolve(), Path.cwd().resolve()
    if real == cwd or real in cwd.parents or real == Path.home().resolve():
        raise ExportError(f"{out} is the working directory, holds it, or is the home folder: it is never replaced")
    if folder is None:
        raise ExportError(f"{out} is a folder: give a file name (only --partition-by writes a folder)")
    if not _is_partition_export(real, folder):
        raise ExportError(
            f"{out} holds other files than an export of partitions: it is not replaced (remove it yourself, "
            "or write elsewhere)"
        )


def _is_partition_export(folder: Path, fmt: str) -> bool:
    """Whether ``folder`` holds only hive partitions (``col=value/``) of ``part-N.<fmt>`` files."""
    for path in folder.rglob("*"):
        if path.is_symlink():
            return False
        if path.is_dir():
            if "=" not in path.name:
                return False
        elif not (path.name.startswith("part-") and path.suffix == f".{fmt}" and path.parent != folder):
            return False
    return True


def _inside(out: Path | str, protected: Path | str) -> bool:
    """Whether ``out`` is the warehouse ``protected`` (a folder or a URL), inside it, or holds it,
    once ``..`` and symbolic links are resolved."""
    if is_remote(out) or is_remote(protected):
        root, target = str(protected).rstrip("/"), str(out).rstrip("/")
        return target == root or target.startswith(root + "/") or root.startswith(target + "/")
    root = Path(protected).expanduser().resolve()
    target = Path(out).expanduser().resolve()
    return target == root or root in target.parents or target in root.parents


def _exists(out: Path | str) -> bool:
    if not is_remote(out):
        return Path(out).exists()
    from flows.object_store import filesystem

    try:
        return filesystem().exists(str(out))
    except Exception as exc:  # s3fs and botocore raise their own kinds: no route, no credentials, ...
        raise ExportError(f"cannot reach {out}: {type(exc).__name__}: {exc}") from exc


def upload(staged: Path, out: str) -> None:
    """Put a written export on the object store: a file in one PUT, a folder's files after the
    folder's old objects are removed."""
    from flows.object_store import filesystem

    fs = filesystem()
    target = out.rstrip("/")
    if staged.is_dir():
        if fs.exists(target):
            fs.rm(target, recursive=True)
        files = sorted(p for p in staged.rglob("*") if p.is_file())
        fs.put([str(p) for p in files], [f"{target}/{p.relative_to(staged).as_posix()}" for p in files])
    else:
        fs.put_file(str(staged), target)


def _write(reader: pa.RecordBatchReader, fmt: str, out: Path, *, partition_by: list[str] | None, excel: bool) -> int:
    schema = _csv_schema(reader.schema) if fmt == "csv" else reader.schema
    missing = [c for c in partition_by or [] if c not in schema.names]
    if missing:
        raise ExportError(f"no column {', '.join(missing)} in the result; columns: {', '.join(schema.names)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
    rows = 0

    def counted() -> Iterator[pa.RecordBatch]:
        nonlocal rows
        for batch in _batches(reader, fmt):
            rows += batch.num_rows
            yield batch

    try:
        if partition_by:
            ds.write_dataset(
                pa.RecordBatchReader.from_batches(schema, counted()),
                tmp,
                format=fmt,
                partitioning=ds.partitioning(pa.schema([schema.field(c) for c in partition_by]), flavor="hive"),
                basename_template="part-{i}." + fmt,
                existing_data_behavior="error",
                # Arrow stops at 1,024 partitions by default; a column of origins or tags has more.
                max_partitions=MAX_PARTITIONS,
                max_open_files=256,
            )
        elif fmt == "parquet":
            with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
                for batch in counted():
                    writer.write_batch(batch)
        else:
            with open(tmp, "wb") as handle:
                if excel:
                    handle.write("\ufeff".encode())
                with pa_csv.CSVWriter(handle, schema) as writer:
                    for batch in counted():
                        writer.write_batch(batch)
        replace_path(tmp, out)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()
    return rows


def replace_path(new: Path, out: Path) -> None:
    """Put ``new`` at ``out``; an existing file or folder there is removed only once ``new`` is in place."""
    if not out.exists() and not out.is_symlink():
        os.replace(new, out)
        return
    old = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.old")
    os.replace(out, old)
    os.replace(new, out)
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old)
    else:
        old.unlink()
