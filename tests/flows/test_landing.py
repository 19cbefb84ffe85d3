"""Landing from a folder or an archive of saved pages: every member read once, nothing unpacked."""

from __future__ import annotations

import functools
import io
import tarfile
import zipfile
from pathlib import Path

import polars as pl
import pytest

from flows import landing
from flows.landing import land_source
from flows.layout import LANDING_TABLE, BuildError, Warehouse

try:
    import libarchive  # binds the system's libarchive
except (ImportError, OSError) as exc:  # pragma: no cover - depends on the machine
    pytest.skip(f"libarchive not available ({exc}); Debian: apt-get install libarchive13", allow_module_level=True)


def sample_files(sample_dir: Path) -> list[Path]:
    return sorted(p for p in sample_dir.rglob("*") if p.is_file())


def make_archive(sample_dir: Path, out: Path) -> Path:
    files = sample_files(sample_dir)
    name = out.name
    if name.endswith(".zip"):
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for f in files:
                z.write(f, f.relative_to(sample_dir).as_posix())
    elif name.endswith(".7z"):
        with libarchive.file_writer(str(out), "7zip") as archive:
            archive.add_files(*[str(f.relative_to(sample_dir)) for f in files])
    else:
        mode = {"tar": "w", "gz": "w:gz", "xz": "w:xz"}[name.rsplit(".", 1)[-1]]
        with tarfile.open(out, mode) as t:
            for f in files:
                t.add(f, f.relative_to(sample_dir).as_posix())
    return out


def landed(wh: Warehouse) -> pl.DataFrame:
    return pl.read_parquet(wh.table_dir(LANDING_TABLE) / "*.parquet")


@pytest.mark.parametrize("suffix", [".tar", ".tar.gz", ".tar.xz", ".zip", ".7z"])
def test_an_archive_lands_the_same_pages_as_its_folder(sample_dir, tmp_path, suffix, monkeypatch):
    monkeypatch.chdir(sample_dir)  # 7z members are added by relative path
    archive = make_archive(sample_dir, tmp_path / f"sample{suffix}")
    folder_wh, archive_wh = Warehouse.at(tmp_path / "folder"), Warehouse.at(tmp_path / "archive")
    land_source(sample_dir, folder_wh, "r1")
    report = land_source(archive, archive_wh, "r1")
    assert report.files_seen == report.landed_new == len(sample_files(sample_dir))
    from_folder, from_archive = landed(folder_wh), landed(archive_wh)
    assert sorted(from_archive["sha256"]) == sorted(from_folder["sha256"])
    prefix = archive.resolve().as_uri() + "!/"
    assert all(uri.startswith(prefix) for uri in from_archive["source_uri"])
    assert set(from_archive["source"]) == {archive.resolve().as_uri()}
    # A second landing of the same archive reads nothing again.
    again = land_source(archive, archive_wh, "r2")
    assert again.unchanged == report.files_seen and again.landed_new == again.landed_changed == 0


def test_hostile_member_names_are_only_names(tmp_path):
    page = b"<html>not a cable</html>"
    archive = tmp_path / "hostile.tar"
    with tarfile.open(archive, "w") as t:
        for name in ("../escape.html", "/etc/absolute.html", "a/../../b.html"):
            info = tarfile.TarInfo(name)
            info.size = len(page)
            t.addfile(info, fileobj=io.BytesIO(page))
        link = tarfile.TarInfo("link.html")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        t.addfile(link)
    before = sorted(p.name for p in tmp_path.parent.iterdir())
    wh = Warehouse.at(tmp_path / "wh")
    report = land_source(archive, wh, "r1")
    assert report.files_seen == 3 and report.landed_new == 3  # the symlink is skipped
    uris = sorted(landed(wh)["source_uri"])
    assert all(u.startswith(archive.resolve().as_uri() + "!/") for u in uris)
    assert any(u.endswith("!/../escape.html") for u in uris)
    assert sorted(p.name for p in tmp_path.parent.iterdir()) == before  # nothing written beside
    assert not (tmp_path / "escape.html").exists() and not Path("/etc/absolute.html").exists()


def test_oversized_members_are_counted_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(landing, "MAX_PAGE_BYTES", 100)
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("small.html", b"x" * 50)
        z.writestr("big.html", b"x" * 1000)
    report = land_source(archive, Warehouse.at(tmp_path / "wh"), "r1")
    assert (report.files_seen, report.landed_new, report.too_large) == (2, 1, 1)


def test_a_file_that_is_no_archive_is_a_clear_error(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("x")
    with pytest.raises(FileNotFoundError, match="neither a folder, an archive"):
        land_source(other, Warehouse.at(tmp_path / "wh"), "r1")
    with pytest.raises(FileNotFoundError, match="not found"):
        land_source(tmp_path / "missing", Warehouse.at(tmp_path / "wh"), "r1")


def test_a_zip_bomb_and_a_huge_7z_member_are_rejected_unread(tmp_path):
    import tracemalloc

    import libarchive

    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z, z.open("bomb.html", "w") as member:
        for _ in range(200):
            member.write(b"\0" * (1 << 20))  # 200 MB of zeros in a few hundred KB
    zeros = tmp_path / "zeros.html"
    with zeros.open("wb") as f:
        f.truncate(100 * (1 << 20))  # 100 MB (sparse on disk)
    huge = tmp_path / "huge.7z"
    with libarchive.file_writer(str(huge), "7zip") as archive:
        archive.add_files(str(zeros))
    assert bomb.stat().st_size < 1_000_000 and huge.stat().st_size < 1_000_000

    wh = Warehouse.at(tmp_path / "wh")
    tracemalloc.start()
    reports = [land_source(source, wh, f"r{i}") for i, source in enumerate((bomb, huge))]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [(r.files_seen, r.landed_new, r.too_large) for r in reports] == [(1, 0, 1), (1, 0, 1)]
    assert peak < 2 * landing.MAX_PAGE_BYTES + (16 << 20)  # read at most up to the cap, once
    reasons = landing.fetch_failures(wh).collect()["reason"].to_list()
    assert len(reasons) == 2 and all(r.startswith("too large: ") and "not read" in r for r in reasons)
    assert not wh.landed_files()


def real_pages(sample_dir: Path, count: int) -> list[Path]:
    """``count`` real pages of the sample with distinct file names (the members of a flat archive)."""
    by_name: dict[str, Path] = {}
    for path in sample_files(sample_dir):
        if path.suffix == ".html":
            by_name.setdefault(path.name, path)
    return [by_name[name] for name in sorted(by_name)][:count]


def archive_of(files: list[Path], out: Path) -> Path:
    """A flat archive (tar, tar.xz or zip, by ``out``'s suffix) of ``files``, named by file name."""
    if out.name.endswith(".zip"):
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for f in files:
                z.write(f, f.name)
    else:
        with tarfile.open(out, "w:xz" if out.name.endswith(".xz") else "w") as t:
            for f in files:
                t.add(f, f.name)
    return out


def sha256_of(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def failures_of(wh: Warehouse) -> pl.DataFrame:
    return landing.fetch_failures(wh).collect()


@pytest.mark.parametrize(
    ("suffix", "cut"),
    [(".tar", "data"), (".tar", "header"), (".tar.xz", "data"), (".zip", "data")],
)
def test_a_truncated_archive_lands_its_whole_members_and_rejects_the_rest(sample_dir, tmp_path, suffix, cut):
    from transforms.reject import fetch_reject

    files = real_pages(sample_dir, 8)
    whole = archive_of(files, tmp_path / f"whole{suffix}").read_bytes()
    if cut == "header":  # cut inside the header of the sixth member: its name is never read
        with tarfile.open(tmp_path / f"whole{suffix}") as t:
            end = t.getmembers()[5].offset + 100
    else:  # cut inside a member's compressed or stored bytes, about 70 % in
        end = len(whole) * 7 // 10
    archive = tmp_path / f"pages{suffix}"
    archive.write_bytes(whole[:end])
    wh = Warehouse.at(tmp_path / "wh")

    report = land_source(archive, wh, "r1")  # raised an ArchiveError, and landed nothing, before

    got = landed(wh)
    assert 1 <= got.height < len(files) and report.landed_new == got.height
    expected = {f.name: sha256_of(f) for f in files}
    # Only whole members land: each is byte for byte the page it was made of.
    assert all(expected[uri.rsplit("/", 1)[-1]] == sha for uri, sha in got.select("source_uri", "sha256").iter_rows())
    failures = failures_of(wh)
    assert failures["source_uri"].to_list() == [archive.resolve().as_uri()]
    reason = failures["reason"][0]
    assert reason.startswith(f"archive truncated or damaged after member {got.height}: ")
    assert "archive_p" not in reason  # no pointer in the reason: the same damage reads the same next time
    assert report.truncated == 1

    # The same damaged archive again: nothing new is landed or recorded.
    again = land_source(archive, wh, "r2")
    assert again.unchanged == got.height and again.landed_new == 0
    assert landed(wh).height == got.height and failures_of(wh).height == 1

    # The whole archive under the same name: the rest lands, and the truncation no longer stands.
    archive.write_bytes(whole)
    complete = land_source(archive, wh, "r3")
    assert complete.landed_new == len(files) - got.height and complete.truncated == 0
    assert sorted(landed(wh)["sha256"]) == sorted(expected.values())
    assert fetch_reject(landing.fetch_failures(wh), landed(wh).lazy()).collect().is_empty()


def test_special_files_are_rejects_and_are_never_read(sample_dir, tmp_path):
    import os
    import socket
    import stat
    import threading

    src = tmp_path / "src"
    src.mkdir()
    page = src / "09TRIPOLI65.html"
    page.write_bytes(real_pages(sample_dir, 1)[0].read_bytes())
    (src / "inside.html").symlink_to(page)  # a link to a page of the source: the page lands by its own path
    (src / "passwd.html").symlink_to("/etc/passwd")  # a link out of the source: never followed
    (src / "elsewhere").symlink_to(sample_dir)  # a folder out of the source: never walked
    os.mkfifo(src / "pipe.html")  # reading it would block the landing for good
    expected = {
        "inside.html": "symlink",
        "passwd.html": "symlink",
        "elsewhere": "symlink",
        "pipe.html": "fifo",
    }
    try:
        os.mknod(src / "null.html", stat.S_IFCHR | 0o600, os.makedev(1, 3))
        expected["null.html"] = "device"
    except PermissionError:  # not root: no device node, the other cases still run
        pass
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(src / "s"))
        expected["s"] = "socket"
    except OSError:  # the path is longer than a socket address allows
        pass
    wh = Warehouse.at(tmp_path / "wh")
    reports = []
    landing_run = threading.Thread(target=lambda: reports.append(land_source(src, wh, "r1")), daemon=True)
    landing_run.start()
    landing_run.join(60)
    if landing_run.is_alive():  # blocked on the FIFO: unblock it, then fail
        with open(src / "pipe.html", "wb"):
            pass
        pytest.fail("the landing read the FIFO")
    server.close()
    (report,) = reports

    assert landed(wh)["source_uri"].to_list() == [page.as_uri()]
    failures = failures_of(wh)
    got = {uri.rsplit("/", 1)[-1]: reason for uri, reason in failures.select("source_uri", "reason").iter_rows()}
    assert got == {name: f"not a regular file: {kind}" for name, kind in expected.items()}
    assert report.not_regular == len(expected) and report.files_seen == 1 + len(expected)
    # Seen again as they were: counted, not recorded twice.
    again = land_source(src, wh, "r2")
    assert again.not_regular == len(expected) and failures_of(wh).height == len(expected)


def test_a_file_deleted_during_the_landing_is_a_reject(sample_dir, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for page in real_pages(sample_dir, 3):
        (src / page.name).write_bytes(page.read_bytes())
    doomed = sorted(src.iterdir())[1]

    def deleting(entries):
        """The folder's entries, the second file deleted after the listing saw it."""
        for entry in entries:
            if entry.uri == doomed.as_uri():
                doomed.unlink()
            yield entry

    wh = Warehouse.at(tmp_path / "wh")
    report = landing.land_entries(src.as_uri(), deleting(landing.folder_entries(src)), wh, "r1")

    assert report.landed_new == 2 and report.unreadable == 1
    assert doomed.as_uri() not in landed(wh)["source_uri"].to_list()
    failures = failures_of(wh)
    assert failures.select("source_uri", "reason").rows() == [
        (doomed.as_uri(), "could not read: No such file or directory")
    ]


def deep_folder(root: Path, depth: int) -> list[Path]:
    """``depth`` nested folders under ``root`` (made one by one: ``os.makedirs`` recurses); the folders."""
    folders, folder = [], root
    for _ in range(depth):
        folder = folder / "d"
        folder.mkdir(parents=folder.parent == root)
        folders.append(folder)
    return folders


def remove_deep(root: Path) -> None:
    """Remove a tree of any depth (``shutil.rmtree`` recurses, and fails on 1,000 levels)."""
    import os

    stack, folders = [root], []
    while stack:
        folder = stack.pop()
        folders.append(folder)
        with os.scandir(folder) as listing:
            for child in listing:
                if child.is_dir(follow_symlinks=False):
                    stack.append(Path(child.path))
                else:
                    os.unlink(child.path)
    for folder in reversed(folders):
        folder.rmdir()


def test_a_folder_1000_levels_deep_is_landed_whole(sample_dir, tmp_path):
    src = tmp_path / "src"
    folders = deep_folder(src, 1000)
    pages = real_pages(sample_dir, 3)
    for folder, page in zip((src, folders[499], folders[-1]), pages, strict=True):
        (folder / page.name).write_bytes(page.read_bytes())
    wh = Warehouse.at(tmp_path / "wh")
    try:
        report = land_source(src, wh, "r1")  # RecursionError in os.walk before
        assert report.landed_new == 3 and report.files_seen == 3
        assert sorted(landed(wh)["sha256"]) == sorted(sha256_of(p) for p in pages)
        assert max(len(uri) for uri in landed(wh)["source_uri"]) > 2000
    finally:
        remove_deep(src)


def test_the_warehouse_inside_its_source_is_not_landed(sample_dir, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for page in real_pages(sample_dir, 3):
        (src / page.name).write_bytes(page.read_bytes())
    wh = Warehouse.at(src / "warehouse")
    first = land_source(src, wh, "r1")
    (wh.root / "cables.duckdb").write_bytes(b"a database")  # what a build leaves beside the landing
    second = land_source(src, wh, "r2")
    assert first.landed_new == 3 and (second.files_seen, second.unchanged, second.landed_new) == (3, 3, 0)
    assert not any("/warehouse/" in uri for uri in landed(wh)["source_uri"])
    with pytest.raises(BuildError, match="the warehouse is the source folder"):
        land_source(src, Warehouse.at(src), "r3")


def test_a_member_twice_in_one_archive_lands_once(sample_dir, tmp_path):
    # Appending to a tar adds a second member of the same name: each is compared with the one
    # before, and the landing keeps one row per content of the name (raw_page is unique on
    # source_uri and sha256).
    first, second = real_pages(sample_dir, 2)
    archive = tmp_path / "appended.tar"
    with tarfile.open(archive, "w") as t:
        for page in (first, first, second):
            t.add(page, "page.html")
    wh = Warehouse.at(tmp_path / "wh")
    report = land_source(archive, wh, "r1")
    assert (report.files_seen, report.landed_new, report.unchanged, report.landed_changed) == (3, 1, 1, 1)
    assert landed(wh).select("source_uri", "sha256").is_duplicated().sum() == 0


# The landing reads, hashes and writes in threads: what it lands must be what a landing one page
# at a time lands, every page once, in the source's order.


def varied_folder(root: Path, sample_dir: Path, count: int) -> list[Path]:
    """``count`` files in nested folders: real pages, empty files, tiny and larger ones, some copies."""
    import random

    pages = [p.read_bytes() for p in real_pages(sample_dir, 12)]
    rng = random.Random(7)
    files = []
    for i in range(count):
        folder = root / f"d{i % 5}" / f"e{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        kind = i % 6
        if kind == 0:
            content = b""
        elif kind == 1:
            content = f"note {i}".encode()
        elif kind == 2:
            content = pages[i % len(pages)]  # the same page under several names
        else:
            content = rng.randbytes(rng.randrange(1, 300_000))
        path = folder / f"{i % 40:03d}-{i}.html"  # shared file names across folders: landing order by name
        path.write_bytes(content)
        files.append(path)
    return files


def landed_in_order(wh: Warehouse) -> pl.DataFrame:
    """The landed rows, file after file in landing order, each file's rows in order."""
    files = wh.landed_files()
    return pl.concat([pl.read_parquet(f).with_columns(pl.lit(f.name).alias("file")) for f in files])


def slow_reads(monkeypatch) -> None:
    """Reads of a folder's files that finish out of order (a random pause before each)."""
    import random
    import threading
    import time

    real, lock, rng = landing.read_file, threading.Lock(), random.Random(3)

    def read_file(path: Path) -> bytes:
        with lock:
            pause = rng.random() * 0.004
        time.sleep(pause)
        return real(path)

    monkeypatch.setattr(landing, "read_file", read_file)


def test_a_folder_lands_every_file_once_in_its_order(sample_dir, tmp_path, monkeypatch):
    import hashlib

    src = tmp_path / "src"
    files = varied_folder(src, sample_dir, 600)
    slow_reads(monkeypatch)
    monkeypatch.setattr(landing, "FLUSH_SECONDS", 3600.0)  # files cut by size alone, however slow the machine
    monkeypatch.setattr(landing, "READ_AHEAD_PAGES", 50)
    monkeypatch.setattr(landing, "CHUNK_BYTES", 3_000_000)  # chunks cut by bytes as well as pages
    wh = Warehouse.at(tmp_path / "wh")
    report = land_source(src, wh, "r1", chunk_pages=37)

    order = [path.as_uri() for path, _, _ in landing.scan_folder(src)[0]]
    got = landed_in_order(wh)
    assert got["source_uri"].to_list() == order  # each file once, in the listing's order
    assert len(order) == len(files) == report.files_seen == report.landed_new
    expected = {path.as_uri(): path.read_bytes() for path in files}
    for uri, sha, size, content in got.select("source_uri", "sha256", "bytes", "content").iter_rows():
        assert content == expected[uri] and size == len(content) and sha == hashlib.sha256(content).hexdigest()
    assert report.bytes_landed == sum(map(len, expected.values()))
    # Files follow one another: numbered from 0 without a gap, each full but the last.
    names = [f.name for f in wh.landed_files()]
    assert names == [f"part-r1-{i:05d}.parquet" for i in range(len(names))]
    sizes = [pl.read_parquet(f, columns=["bytes"]) for f in wh.landed_files()]
    for chunk in sizes[:-1]:
        assert chunk.height == 37 or chunk["bytes"].sum() >= 3_000_000
        assert chunk.height == 37 or chunk["bytes"][:-1].sum() < 3_000_000
    assert not [p for p in wh.table_dir(LANDING_TABLE).iterdir() if p.suffix != ".parquet"]  # no temporary file


def test_the_parallel_landing_writes_what_one_page_at_a_time_writes(sample_dir, tmp_path, monkeypatch):
    src = tmp_path / "src"
    varied_folder(src, sample_dir, 300)
    monkeypatch.setattr(landing, "FLUSH_SECONDS", 3600.0)  # files cut by size alone, however slow the machine
    one_by_one = Warehouse.at(tmp_path / "one")
    with monkeypatch.context() as serial:
        serial.setattr(landing, "READ_THREADS", 1)
        serial.setattr(landing, "WRITE_THREADS", 1)
        serial.setattr(landing, "READ_AHEAD_PAGES", 0)  # each page landed before the next is read
        first = land_source(src, one_by_one, "r1", chunk_pages=16)
    slow_reads(monkeypatch)
    parallel = Warehouse.at(tmp_path / "parallel")
    second = land_source(src, parallel, "r1", chunk_pages=16)
    assert first.as_dict() == second.as_dict()
    columns = ["source_uri", "source", "sha256", "bytes", "mtime_ns", "run_id", "content", "file"]
    assert landed_in_order(one_by_one).select(columns).equals(landed_in_order(parallel).select(columns))


def test_a_second_landing_reads_only_what_changed_in_order(sample_dir, tmp_path, monkeypatch):
    src = tmp_path / "src"
    files = varied_folder(src, sample_dir, 200)
    slow_reads(monkeypatch)
    wh = Warehouse.at(tmp_path / "wh")
    land_source(src, wh, "r1", chunk_pages=9)
    changed = [files[i] for i in (3, 50, 51, 199)]
    for path in changed:
        path.write_bytes(path.read_bytes() + b" changed")
    same = files[100]
    os_utime_later(same)  # touched, same bytes: read again, not landed again
    added = src / "d0" / "added.html"
    added.write_bytes(b"new page")
    again = land_source(src, wh, "r2", chunk_pages=9)
    assert (again.files_seen, again.unchanged, again.landed_changed, again.landed_new, again.same_content) == (
        201,
        195,
        4,
        1,
        1,
    )
    second = pl.concat([pl.read_parquet(f) for f in wh.landed_files("r2")])
    order = [path.as_uri() for path, _, _ in landing.scan_folder(src)[0]]
    wanted = {p.as_uri() for p in (*changed, added)}
    assert second["source_uri"].to_list() == [uri for uri in order if uri in wanted]
    assert landed(wh).select("source_uri", "sha256").is_duplicated().sum() == 0


def os_utime_later(path: Path) -> None:
    import os

    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))


def test_members_of_one_name_are_compared_in_archive_order(sample_dir, tmp_path, monkeypatch):
    # Member hashes run in threads: each member of a name is still compared with the one before.
    first, second = real_pages(sample_dir, 2)
    archive = tmp_path / "appended.tar"
    with tarfile.open(archive, "w") as t:
        for page, name in ((first, "a.html"), (second, "b.html"), (second, "a.html"), (first, "a.html")):
            t.add(page, name)
    wh = Warehouse.at(tmp_path / "wh")
    report = land_source(archive, wh, "r1", chunk_pages=1)
    # a: new, b: new, a changed to the second page, a changed back to a content it had (not landed twice).
    assert (report.files_seen, report.landed_new, report.landed_changed, report.same_content) == (4, 2, 1, 1)
    got = landed_in_order(wh)
    assert [uri.rsplit("/", 1)[-1] for uri in got["source_uri"]] == ["a.html", "b.html", "a.html"]
    assert got["sha256"].to_list() == [sha256_of(first), sha256_of(second), sha256_of(second)]


def test_a_failed_write_leaves_the_files_before_it_and_none_after(sample_dir, tmp_path, monkeypatch):
    import time

    src = tmp_path / "src"
    varied_folder(src, sample_dir, 120)
    monkeypatch.setattr(landing, "FLUSH_SECONDS", 3600.0)
    real = pl.DataFrame.write_parquet

    def failing(frame, file, *args, **kw):
        if "-00001.parquet" in str(file):  # the second file fails late, after the third is written
            time.sleep(0.5)
            raise OSError(28, "No space left on device")
        return real(frame, file, *args, **kw)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", failing)
    wh = Warehouse.at(tmp_path / "wh")
    with pytest.raises(OSError, match="No space left"):
        land_source(src, wh, "r1", chunk_pages=10)
    assert [f.name for f in wh.landed_files()] == ["part-r1-00000.parquet"]
    assert [p.name for p in wh.table_dir(LANDING_TABLE).iterdir()] == ["part-r1-00000.parquet"]
    monkeypatch.setattr(pl.DataFrame, "write_parquet", real)
    again = land_source(src, wh, "r2", chunk_pages=10)  # the rest lands next time
    assert (again.unchanged, again.landed_new) == (10, 110)
    assert landed(wh).height == 120


def test_pages_read_before_a_timed_flush_are_in_it(tmp_path, monkeypatch):
    import time
    import types

    clock = [0.0]
    monkeypatch.setattr(landing, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))

    def read(i: int) -> bytes:
        time.sleep(0.05 * (i % 2))  # reads still running when the flush comes
        return f"page {i}".encode()

    def entries():
        for i in range(6):
            clock[0] += 3.0  # a page every 3 s: a flush every second page
            yield landing.Entry(f"file:///p{i}", 6, i, functools.partial(read, i), parallel=True)

    wh = Warehouse.at(tmp_path / "wh")
    report = landing.land_entries("file:///", entries(), wh, "r1", flush_seconds=5.0)
    assert report.landed_new == 6
    parts = [pl.read_parquet(f)["source_uri"].to_list() for f in wh.landed_files()]
    assert parts == [["file:///p0"], ["file:///p1", "file:///p2"], ["file:///p3", "file:///p4"], ["file:///p5"]]


def test_reads_run_ahead_a_bounded_way(tmp_path, monkeypatch):
    import threading
    import time

    monkeypatch.setattr(landing, "READ_AHEAD_PAGES", 5)
    first_read = threading.Event()
    taken = []

    def slow_first() -> bytes:
        time.sleep(0.5)
        first_read.set()
        return b"first"

    def entries():
        yield landing.Entry("file:///p0", 5, 0, slow_first, parallel=True)
        for i in range(1, 40):
            taken.append(first_read.is_set())
            yield landing.Entry(f"file:///p{i}", 3, 0, lambda i=i: f"p{i:02d}".encode(), parallel=True)

    wh = Warehouse.at(tmp_path / "wh")
    report = landing.land_entries("file:///", entries(), wh, "r1")
    assert report.landed_new == 40
    # While the first page was being read, READ_AHEAD_PAGES more were taken, and no more.
    assert taken.count(False) == 5
    assert landed_in_order(wh)["source_uri"].to_list() == [f"file:///p{i}" for i in range(40)]
