"""Sandboxed queries: SQL typed by a user runs in a child process that cannot write a file,
within a time and a memory budget, and its rows stream back to the caller.

Three walls stand between a statement and the files of the warehouse, each enough on its own:

1. **DuckDB's own parser** classifies the statement (``read_only_statement``): one statement, a
   query (SELECT, FROM, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, PRAGMA of a table function), or
   an EXPLAIN of one. ``EXPLAIN ANALYZE COPY ...`` is refused: EXPLAIN ANALYZE runs what it explains.
2. **The operating system** (Linux Landlock): the child process gives up, before it imports
   DuckDB, the right to create, write, truncate, rename or delete any file, except in its own
   spill folder (outside the warehouse, deleted when it ends).
3. **DuckDB's settings**: external access off, reads allowed only under the warehouse's published
   folders and ``data/reference/``, configuration locked (``flows.serve.sandboxed``).

The budget: ``CABLES_QUERY_TIMEOUT`` seconds (the child is stopped after that), DuckDB's
``memory_limit`` of ``CABLES_QUERY_MEMORY`` (with a watchdog on the child's resident memory), and
a spill folder capped at ``CABLES_QUERY_TEMP_SIZE``. Rows come back as Arrow record batches as
they are produced, so a caller that wants five rows of three hundred million reads five.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

# ---- wall 1: the statement, classified by DuckDB's parser ---------------------------------------


class SandboxError(RuntimeError):
    """The statement is refused, failed, or went over its budget; the message says which."""


def sql_error(exc: BaseException) -> str:
    """DuckDB's error as a user reads it: ``SQL error:`` and its first line, then its hints
    (``Did you mean ...``, the candidate columns, ``LINE n:`` with a caret under the place),
    indented on the lines after. DuckDB's advice on its settings (``Possible solutions``) is left
    out: a sandboxed query cannot change them."""
    lines = str(exc).splitlines() or [type(exc).__name__]
    hints = []
    for line in lines[1:]:
        if line.startswith("Possible solutions"):
            break
        if line.strip():
            hints.append("  " + line.rstrip())
    return "\n".join([f"SQL error: {lines[0]}", *hints])


def _explained(query: str) -> str | None:
    """The statement an EXPLAIN statement explains (its text after EXPLAIN, ANALYZE and options)."""
    import duckdb

    tokens = duckdb.tokenize(query)
    words = [(pos, query[pos:].split(None, 1)[0].strip("(;").lower()) for pos, _ in tokens]
    i = 0
    if i < len(words) and words[i][1] == "explain":
        i += 1
    if i < len(words) and words[i][1] in ("analyze", "analyse"):
        i += 1
    if i < len(words) and query[words[i][0]] == "(":  # EXPLAIN (FORMAT json, ANALYZE) ...
        depth = 0
        while i < len(words):
            char = query[words[i][0]]
            depth += char == "("
            depth -= char == ")"
            i += 1
            if depth == 0:
                break
    return query[words[i][0] :] if i < len(words) else None


def read_only_statement(query: str) -> str:
    """The query if DuckDB's parser reads it as one query, or an EXPLAIN of one; else SandboxError."""
    import duckdb

    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise SandboxError(sql_error(exc)) from exc
    if len(statements) != 1:
        raise SandboxError(f"give exactly one SQL statement ({len(statements)} given)")
    kind = statements[0].type
    if kind == duckdb.StatementType.EXPLAIN:
        inner = _explained(statements[0].query)
        try:
            inner_statements = duckdb.extract_statements(inner) if inner else []
        except duckdb.Error:
            inner_statements = []
        if len(inner_statements) != 1 or inner_statements[0].type != duckdb.StatementType.SELECT:
            raise SandboxError(
                "only a query can be explained here (EXPLAIN [ANALYZE] SELECT ...): "
                "EXPLAIN ANALYZE runs the statement it explains"
            )
        return query
    if kind != duckdb.StatementType.SELECT:
        name = str(kind).rsplit(".", 1)[-1]
        raise SandboxError(
            f"only read-only queries run here (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); this is a {name} "
            "statement" + (": use `cables export` to write files" if name in ("COPY", "EXPORT") else "")
        )
    return query


# ---- wall 2: no file writes, by the kernel (Landlock) -------------------------------------------

# From linux/landlock.h. Rights handled (and so denied outside the allowed folders): everything
# that creates, changes or removes a file or folder; reading stays allowed everywhere (wall 3
# narrows what DuckDB reads).
_WRITE_FILE = 1 << 1
_REMOVE_DIR = 1 << 4
_REMOVE_FILE = 1 << 5
_MAKE_CHAR, _MAKE_DIR, _MAKE_REG, _MAKE_SOCK, _MAKE_FIFO, _MAKE_BLOCK, _MAKE_SYM = (1 << n for n in range(6, 13))
_REFER = 1 << 13  # ABI 2: linking or renaming a file into another folder
_TRUNCATE = 1 << 14  # ABI 3
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446  # the same on x86_64 and arm64
_PR_SET_NO_NEW_PRIVS = 38
_RULE_PATH_BENEATH = 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def forbid_writes(allowed: list[Path]) -> bool:
    """Take from this thread (and what it starts) the right to write any file outside ``allowed``.

    Returns False where the kernel has no Landlock (not Linux, or older than 5.13): the other two
    walls then stand alone. Called by the query process before it starts any thread.
    """
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return False
    handled = _WRITE_FILE | _REMOVE_DIR | _REMOVE_FILE
    handled |= _MAKE_CHAR | _MAKE_DIR | _MAKE_REG | _MAKE_SOCK | _MAKE_FIFO | _MAKE_BLOCK | _MAKE_SYM
    if abi >= 2:
        handled |= _REFER
    if abi >= 3:
        handled |= _TRUNCATE
    attr = _RulesetAttr(handled)
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), 0)
    if ruleset < 0:
        return False
    try:
        for folder in allowed:
            fd = os.open(folder, os.O_PATH | os.O_DIRECTORY)
            try:
                rule = _PathBeneathAttr(handled, fd)
                if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
                    raise OSError(ctypes.get_errno(), "landlock_add_rule failed")
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return True


# ---- the budget and the query process -----------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """What one sandboxed query may cost."""

    timeout: float = 60.0  # seconds, from the start of the query process
    memory: str = "2GB"  # DuckDB's memory_limit
    max_rss_mb: int = 3072  # the query process is stopped above this resident memory
    temp_size: str = "4GB"  # DuckDB's max_temp_directory_size
    threads: int = 0  # DuckDB's threads (0: DuckDB's default)

    @classmethod
    def from_settings(cls) -> Budget:
        from cables.settings import settings

        cfg = settings()
        return cls(
            timeout=cfg.query_timeout,
            memory=cfg.query_memory,
            max_rss_mb=cfg.query_max_rss_mb,
            temp_size=cfg.query_temp_size,
        )


@dataclass(frozen=True)
class Job:
    """What the query process is given on its standard input."""

    database: str
    readable: list[str]  # folders (ending in a separator) and URLs DuckDB may read
    paths: list[str]  # and single paths it may read as they are spelt (see flows.serve.readable_paths)
    query: str
    budget: dict
    batch_rows: int
    temp_root: str
    remote: bool = False


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class QueryResult(contextlib.AbstractContextManager):
    """The rows of a sandboxed query: ``reader`` yields Arrow record batches as they come.

    Leaving the ``with`` block stops the query process, read to the end or not. Over-budget and
    failed queries raise SandboxError from ``reader`` iteration or from ``__exit__``.
    """

    def __init__(self, job: Job, budget: Budget) -> None:
        import pyarrow as pa

        self._budget = budget
        self._stopped: str | None = None
        self._temp = Path(tempfile.mkdtemp(prefix="cables-query-", dir=job.temp_root))
        payload = json.dumps({**asdict(job), "temp_root": str(self._temp)}).encode()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "cables.sandbox"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._proc.stdin.write(payload)
        self._proc.stdin.close()
        self._watch = threading.Thread(target=self._watchdog, daemon=True)
        self._watch.start()
        try:
            self.reader = pa.ipc.open_stream(self._proc.stdout)
        except (pa.ArrowInvalid, OSError):
            try:
                self._fail()
            finally:
                self.close()

    def _watchdog(self) -> None:
        start = time.monotonic()
        while self._proc.poll() is None:
            if time.monotonic() - start > self._budget.timeout:
                limit = self._budget.timeout
                self._stop(f"the query ran longer than {limit:g} s and was stopped (CABLES_QUERY_TIMEOUT)")
            elif _rss_mb(self._proc.pid) > self._budget.max_rss_mb:
                self._stop(
                    f"the query used more than {self._budget.max_rss_mb:,} MB of memory and was stopped "
                    "(CABLES_QUERY_MAX_RSS_MB)"
                )
            time.sleep(0.05)

    def _stop(self, reason: str) -> None:
        if self._stopped is None:
            self._stopped = reason
        with contextlib.suppress(ProcessLookupError):
            self._proc.kill()

    def _fail(self) -> None:
        """Raise the query process's own error, or the budget it went over."""
        self._proc.wait()
        self._watch.join()
        if self._stopped:
            raise SandboxError(self._stopped)
        message = self._proc.stderr.read().decode(errors="replace").strip()
        lines = [line for line in message.splitlines() if line.strip()]
        if not lines:
            raise SandboxError(f"the query process failed (exit {self._proc.returncode})")
        try:  # the query process's own report, the last line (anything else it printed comes before)
            raise SandboxError(json.loads(lines[-1])["error"])
        except (ValueError, KeyError, TypeError):
            raise SandboxError(lines[-1]) from None

    def batches(self) -> Iterator:
        """The record batches, checked: a query stopped half-way raises instead of ending short."""
        import pyarrow as pa

        try:
            yield from self.reader
        except (pa.ArrowInvalid, OSError):
            self._fail()
        if self._proc.wait() != 0 or self._stopped:
            self._fail()

    def close(self) -> None:
        if self._proc.returncode is not None and self._proc.stdout.closed:
            return
        if self._proc.poll() is None:
            self._stopped = self._stopped or "closed"
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
        self._proc.wait()
        self._watch.join()
        for stream in (self._proc.stdout, self._proc.stderr):
            stream.close()
        shutil.rmtree(self._temp, ignore_errors=True)

    def __exit__(self, *exc) -> None:
        self.close()


def run_query(
    database: Path,
    readable: list[str],
    query: str,
    *,
    paths: list[str] = (),
    budget: Budget | None = None,
    batch_rows: int = 10_000,
    remote: bool = False,
) -> QueryResult:
    """Start ``query`` on ``database`` in a sandboxed process; use the result in a ``with`` block."""
    read_only_statement(query)
    budget = budget or Budget.from_settings()
    job = Job(
        database=str(database),
        readable=readable,
        paths=list(paths),
        query=query,
        budget=asdict(budget),
        batch_rows=batch_rows,
        temp_root=tempfile.gettempdir(),
        remote=remote,
    )
    return QueryResult(job, budget)


def _serve(job: dict) -> None:
    """The query process: give up writing, open the database read-only, stream the rows out."""
    temp = Path(job["temp_root"])
    forbid_writes([temp])
    import duckdb
    import pyarrow as pa

    budget = job["budget"]
    config = {
        "memory_limit": budget["memory"],
        "temp_directory": str(temp / "spill"),
        "max_temp_directory_size": budget["temp_size"],
    }
    if budget.get("threads"):
        config["threads"] = budget["threads"]
    con = duckdb.connect(job["database"], read_only=True, config=config)
    if job.get("remote"):
        from flows.object_store import enable_s3

        enable_s3(con)
    readable = [*job["readable"], str(temp) + os.sep]
    con.execute("set allowed_directories = [" + ", ".join("'" + r.replace("'", "''") + "'" for r in readable) + "]")
    con.execute("set allowed_paths = [" + ", ".join("'" + p.replace("'", "''") + "'" for p in job["paths"]) + "]")
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    query = read_only_statement(job["query"])
    reader = con.execute(query).to_arrow_reader(job["batch_rows"])
    out = sys.stdout.buffer
    with pa.ipc.new_stream(out, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)


def _report(message: str) -> None:
    """Tell the caller why the query failed: one JSON line, the last on standard error."""
    print(json.dumps({"error": message}), file=sys.stderr)
    sys.exit(2)


def main() -> None:
    try:
        _serve(json.loads(sys.stdin.buffer.read()))
    except BrokenPipeError:  # the caller read what it wanted and left
        os._exit(0)
    except SandboxError as exc:
        _report(str(exc))
    except Exception as exc:  # DuckDB's errors (with their hints), a damaged file (one line), ...
        if type(exc).__module__.startswith(("duckdb", "_duckdb")):
            _report(sql_error(exc))
        first = str(exc).splitlines()[0] if str(exc) else ""
        _report(f"{type(exc).__name__}: {first}")


if __name__ == "__main__":
    main()
