"""Landing from a folder or an archive of saved pages: every member read once, nothing unpacked."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import polars as pl
import pytest

from flows import landing
from flows.landing import land_source
from flows.layout import LANDING_TABLE, Warehouse

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
