"""A recording copied into the inbox slowly: real Prefect runs wait for it, then store it once, whole."""
from __future__ import annotations

import os
import time
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from prefect.testing.utilities import prefect_test_harness

from flows.nightly import nightly

pytestmark = pytest.mark.slow
CHECKLIST = Path(__file__).resolve().parent.parent / "checklists" / "sales_call.yaml"


class RunWarnings(HTMLParser):
    """The list items of the team page's "Warnings from the last run" section."""

    def __init__(self, html: str):
        super().__init__()
        self.items: list[str] = []
        self._depth = 0  # > 0 inside the section
        self._in_item = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section" and (self._depth or ("aria-labelledby", "run-warnings") in attrs):
            self._depth += 1
        if self._depth and tag == "li":
            self._in_item = True
            self.items.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_item = self._in_item and tag != "li"
        if tag == "section" and self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_item:
            self.items[-1] += data


def test_a_file_still_being_copied_waits_and_is_then_stored_once_whole(tmp_path: Path, call_files):
    wav = call_files["good"].read_bytes()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # A spreadsheet's semicolon CSV; one row names a recording that never arrived.
    (inbox / "calls.csv").write_text("file;call_id;manager_id\ncall.wav;C-77;101\nlost.wav;C-78;101\n")
    (inbox / "managers.csv").write_text("manager_id,name,team\n101,Anna Petrova,North\n")
    recording = inbox / "call.wav"
    recording.write_bytes(wav[:len(wav) // 2])  # the copy is half done
    db, out = tmp_path / "qa.duckdb", tmp_path / "out"

    def run() -> dict:
        return nightly(inbox=str(inbox), db=str(db), out=str(out),
                       settings={"checklist": str(CHECKLIST), "settle_seconds": 60})

    def rows(sql: str) -> list[tuple]:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute(sql).fetchall()

    with prefect_test_harness(server_startup_timeout=None):
        first = run()
        assert (first["found"], first["ok"], first["failed"], first["unsettled"]) == (0, 0, 0, 1)
        assert rows("SELECT count(*) FROM calls") == [(0,)]
        [(stored,)] = rows("SELECT warnings FROM runs")
        waiting = "1 file(s) still being copied (changed less than 60 s ago), left for the next run: call.wav"
        missing = "calls.csv names 1 file(s) not in the inbox: lost.wav"
        assert stored == [missing, waiting]
        assert RunWarnings((out / "index.html").read_text()).items == [missing, waiting]

        with recording.open("ab") as fh:  # the copy finishes; a minute later it is settled
            fh.write(wav[len(wav) // 2:])
        then = time.time() - 61
        os.utime(recording, (then, then))
        second = run()

    assert (second["found"], second["ok"], second["failed"], second["unsettled"]) == (1, 1, 0, 0)
    [(call_id, status, size, warnings, manager)] = rows(
        "SELECT call_id, status, size_bytes, warnings, manager_id FROM calls")
    assert (call_id, status, size, manager) == ("C-77", "ok", len(wav), "101")
    assert not any("truncated" in w for w in warnings), warnings
    assert rows("SELECT count(*) FROM calls") == [(1,)]
    assert RunWarnings((out / "index.html").read_text()).items == [missing]
