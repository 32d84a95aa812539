"""Finding recordings and their metadata in an inbox as a PBX leaves it."""
import os
import time
from datetime import datetime
from pathlib import Path

from pipeline.config import build_config
from pipeline.ingest import read_recording, scan


def write(path: Path, data: bytes = b"RIFF....WAVE") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def config(inbox: Path, **kw):
    """Files written by a test are complete at once: no settle time unless a test asks for one."""
    return build_config(env={}, inbox=inbox, **{"settle_seconds": 0, **kw})


def age(path: Path, seconds: float) -> Path:
    """Make the file look last modified `seconds` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_metadata_from_calls_csv_and_managers(tmp_path: Path):
    write(tmp_path / "2026" / "a.wav", b"one")
    write(tmp_path / "b.mp3", b"two")
    (tmp_path / "managers.csv").write_text("manager_id,name,team\n101,Anna Petrova,North\n")
    (tmp_path / "calls.csv").write_text(
        "file,call_id,manager_id,started_at,direction,customer_phone\n"
        "2026/a.wav,C-1,101,2026-11-20T10:15:00,outbound,+79161234567\n"
        "b.mp3,C-2,999,yesterday,sideways,\n")
    inbox = scan(config(tmp_path))
    assert [m.name for m in inbox.managers] == ["Anna Petrova"]
    a, b = sorted(inbox.recordings, key=lambda r: r.meta.call_id)
    assert (a.meta.call_id, a.meta.manager_id, a.meta.direction) == ("C-1", "101", "out")
    assert a.meta.started_at == datetime(2026, 11, 20, 10, 15)
    assert a.meta.customer_phone == "+79161234567" and a.warnings == ()
    # Bad metadata is dropped with a warning; the call still goes on.
    assert b.meta.started_at is None and b.meta.direction is None
    text = " | ".join(b.warnings)
    assert "'yesterday' is not a date-time" in text and "'sideways' is not in/out" in text
    assert "'999' is not in managers.csv" in text and "unassigned" in text


def test_metadata_from_the_file_name_pattern(tmp_path: Path):
    write(tmp_path / "out-79161234567-101-20261120-101500-1700000000.42.wav")
    write(tmp_path / "voicemail.ogg", b"x")
    (tmp_path / "notes.txt").write_text("not a recording")
    recs = {r.path.name: r for r in scan(config(tmp_path)).recordings}
    assert set(recs) == {"out-79161234567-101-20261120-101500-1700000000.42.wav", "voicemail.ogg"}
    meta = recs["out-79161234567-101-20261120-101500-1700000000.42.wav"].meta
    assert (meta.call_id, meta.manager_id, meta.customer_phone, meta.direction) == \
        ("1700000000.42", "101", "79161234567", "out")
    assert meta.started_at == datetime(2026, 11, 20, 10, 15)
    other = recs["voicemail.ogg"]
    assert other.meta.call_id.startswith("voicemail-") and other.meta.manager_id is None
    assert any("filename_pattern" in w for w in other.warnings)


def test_custom_pattern_and_identity_by_content(tmp_path: Path):
    write(tmp_path / "2026-11-20_101500_anna.wav", b"same bytes")
    write(tmp_path / "copy" / "renamed.wav", b"same bytes")
    cfg = config(tmp_path, filename_pattern=r"(?P<started_at>\d{4}-\d{2}-\d{2}_\d{6})_(?P<manager_id>\w+)")
    recs = scan(cfg).recordings
    assert len(recs) == 2 and recs[0].sha256 == recs[1].sha256
    named = next(r for r in recs if r.path.name.startswith("2026"))
    assert named.meta.manager_id == "anna"


def test_broken_sidecar_is_reported_not_fatal(tmp_path: Path):
    write(tmp_path / "a.wav")
    (tmp_path / "calls.csv").write_text("name;when\nx;y\n")
    inbox = scan(config(tmp_path))
    assert len(inbox.recordings) == 1
    assert "missing column(s) file" in inbox.warnings[0]
    assert "no row in calls.csv" in inbox.recordings[0].warnings[0]


def test_a_file_is_taken_only_once_it_has_settled(tmp_path: Path):
    age(write(tmp_path / "out-1-101-20261120-101500-1.wav", b"complete"), 600)
    copying = write(tmp_path / "day2" / "out-2-101-20261120-111500-2.wav", b"half of it")
    just_created = write(tmp_path / "out-3-101-20261120-121500-3.wav", b"")  # the copy has not begun
    inbox = scan(config(tmp_path, settle_seconds=120))
    assert [r.meta.call_id for r in inbox.recordings] == ["1"]
    assert set(inbox.unsettled) == {copying, just_created}
    [note] = inbox.warnings
    assert note.startswith("2 file(s) still being copied") and "120 s" in note
    assert "day2/out-2-101-20261120-111500-2.wav" in note and "out-3-101-20261120-121500-3.wav" in note
    # A later run, once the copy is done and the files stood still, takes them.
    copying.write_bytes(b"half of it and the rest")
    age(copying, 121)
    age(just_created, 121)  # still empty after the settle time: a real empty file, failed downstream
    later = scan(config(tmp_path, settle_seconds=120))
    sizes = {r.meta.call_id: r.size for r in later.recordings}
    assert sizes == {"1": len(b"complete"), "2": len(b"half of it and the rest"), "3": 0}
    assert later.unsettled == () and later.warnings == ()


def test_settling_is_measured_from_the_scan_time(tmp_path: Path):
    wav = age(write(tmp_path / "a.wav"), 30)
    assert scan(config(tmp_path, settle_seconds=60)).unsettled == (wav,)
    assert [r.path for r in scan(config(tmp_path, settle_seconds=60), now=time.time() + 31).recordings] == [wav]


def test_semicolon_and_tab_separated_calls_csv_are_read(tmp_path: Path):
    write(tmp_path / "a.wav", b"one")
    write(tmp_path / "b.wav", b"two")
    (tmp_path / "managers.csv").write_text("manager_id;name;team\n101;Anna Petrova;North\n")
    (tmp_path / "calls.csv").write_text("file;call_id;manager_id;started_at\n"
                                        "a.wav;C-1;101;2026-11-20T10:15:00\n"
                                        "b.wav;C-2;101;\"20261120-111500\"\n", encoding="utf-8-sig")
    inbox = scan(config(tmp_path))
    assert inbox.warnings == ()
    assert [(r.meta.call_id, r.meta.manager_id, r.warnings) for r in inbox.recordings] == \
        [("C-1", "101", ()), ("C-2", "101", ())]
    assert inbox.recordings[1].meta.started_at == datetime(2026, 11, 20, 11, 15)
    assert [m.name for m in inbox.managers] == ["Anna Petrova"]
    (tmp_path / "calls.csv").write_text("file\tcall_id\na.wav\tT-1\n")
    assert scan(config(tmp_path)).recordings[0].meta.call_id == "T-1"


def test_calls_csv_rows_naming_files_not_in_the_inbox_are_a_run_warning(tmp_path: Path):
    write(tmp_path / "2026" / "a.wav", b"one")
    (tmp_path / "calls.csv").write_text("file,call_id\n2026/a.wav,C-1\nlost.wav,C-2\n2026/gone.mp3,C-3\n")
    inbox = scan(config(tmp_path))
    assert [r.meta.call_id for r in inbox.recordings] == ["C-1"]
    assert inbox.warnings == ("calls.csv names 2 file(s) not in the inbox: lost.wav, 2026/gone.mp3",)


def test_one_file_gets_the_same_call_id_as_a_run_gives_it(tmp_path: Path):
    named = write(tmp_path / "out-79161234567-101-20261120-101500-1700000000.42.wav")
    listed = write(tmp_path / "sub" / "recording.wav", b"other")
    (tmp_path / "sub" / "calls.csv").write_text("file,call_id,manager_id\nrecording.wav,PBX-7,101\n")
    cfg = config(tmp_path / "elsewhere")
    assert read_recording(named, cfg).meta.call_id == "1700000000.42"
    assert read_recording(listed, cfg).meta == scan(config(tmp_path / "sub")).recordings[0].meta
    assert read_recording(listed, cfg).meta.call_id == "PBX-7"


def test_a_file_known_by_path_size_and_mtime_is_not_read_again(tmp_path: Path, monkeypatch):
    from pipeline import ingest

    age(write(tmp_path / "out-1-101-20261120-101500-1.wav", b"first call"), 600)
    changed = age(write(tmp_path / "out-2-101-20261120-111500-2.wav", b"second call"), 600)
    first = scan(config(tmp_path))
    assert sorted(first.hashed) == sorted(str(p.resolve()) for p in tmp_path.glob("*.wav"))
    changed.write_bytes(b"second call, re-recorded")  # another size and mtime: read again
    age(changed, 600)
    read = []
    monkeypatch.setattr(ingest, "sha256_of", lambda path: read.append(path.name) or "new-sha")
    again = scan(config(tmp_path), known=first.hashed)
    assert read == [changed.name]
    assert {r.meta.call_id: r.sha256 for r in again.recordings} == {
        "1": first.recordings[0].sha256, "2": "new-sha"}
    assert list(again.hashed) == [str(changed.resolve())]
