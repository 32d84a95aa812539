"""Finding recordings and their metadata in an inbox as a PBX leaves it."""
from datetime import datetime
from pathlib import Path

from pipeline.config import build_config
from pipeline.ingest import scan


def write(path: Path, data: bytes = b"RIFF....WAVE") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def config(inbox: Path, **kw):
    return build_config(env={}, inbox=inbox, **kw)


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
