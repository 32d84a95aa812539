"""`callqa ui` as a QA lead uses it: a real server process, the call page with its review form,
a review posted as a browser posts it, bad input refused with no write, the token on a shared host."""
from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import duckdb
import pytest

from pipeline.report import call_href
from test_review import db, review_rows  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def ui(db: Path, tmp_path: Path):  # noqa: F811 - the fixture from test_review
    def start(*flags: str) -> tuple[str, subprocess.Popen]:
        process = subprocess.Popen([str(ROOT / ".venv" / "bin" / "callqa"), "ui", "--db", str(db), "--out",
                                    str(tmp_path / "out"), "--port", "0", *flags],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
        started.append(process)
        line = process.stdout.readline()
        url = re.search(r"(http://\S+?)/index.html", line)
        assert url, line + process.stdout.read()
        return url.group(1), process

    started: list[subprocess.Popen] = []
    yield start
    for process in started:
        process.terminate()
        process.wait(10)


def get(url: str, headers: dict | None = None) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


def post(url: str, form: dict, headers: dict | None = None) -> tuple[int, str]:
    data = urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers or {}), timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_a_review_from_the_call_page_is_stored_and_the_page_shows_it(ui, db: Path, tmp_path: Path):  # noqa: F811
    base, _ = ui()
    assert base.startswith("http://127.0.0.1:")  # this machine only, unless told
    status, page, _ = get(f"{base}/{call_href('c4')}")
    assert status == 200 and page.count('class="review-form"') == 5 and 'name="item_id" value="politeness"' in page
    status, body = post(f"{base}/review", {"call_id": "c4", "checklist_id": "sales_call", "item_id": "politeness",
                                           "verdict": "pass", "reviewer": "Olga", "note": "quoting the customer"})
    assert status == 200 and "Review stored" in body
    assert review_rows(db) == [("c4", "politeness", "pass", "fail", "Olga", "quoting the customer")]
    # The reports are rendered again in the background: the call page shows the reviewer.
    deadline = time.monotonic() + 60
    while "Olga" not in (tmp_path / "out" / call_href("c4")).read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "quoting the customer" in get(f"{base}/{call_href('c4')}")[1]


@pytest.mark.parametrize("form, message", [
    ({"call_id": "c9", "item_id": "politeness", "verdict": "pass", "reviewer": "Olga"}, "no call &#x27;c9&#x27;"),
    ({"call_id": "c4", "item_id": "polite", "verdict": "pass", "reviewer": "Olga"}, "has no item"),
    ({"call_id": "c4", "item_id": "politeness", "verdict": "maybe", "reviewer": "Olga"}, "is not one of pass, fail, na"),
    ({"call_id": "c4", "item_id": "politeness", "verdict": "pass", "reviewer": " "}, "needs the reviewer"),
])
def test_bad_input_gets_a_clear_message_and_no_write(ui, db: Path, form, message):  # noqa: F811
    base, _ = ui()
    status, body = post(f"{base}/review", form)
    assert status == 400 and message in body
    assert review_rows(db) == []


def test_a_shared_host_needs_the_token(ui, db: Path):  # noqa: F811
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "callqa"), "ui", "--db", str(db), "--host", "0.0.0.0"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "give --token" in done.stderr
    base, _ = ui("--token", "s3cret")
    assert get(f"{base}/index.html")[0] == 403
    status, _, headers = get(f"{base}/index.html?token=s3cret")
    assert status == 200 and "callqa_token=s3cret" in headers.get("Set-Cookie", "")
    cookie = {"Cookie": "callqa_token=s3cret"}
    assert get(f"{base}/{call_href('c4')}", cookie)[0] == 200
    form = {"call_id": "c4", "item_id": "politeness", "verdict": "pass", "reviewer": "Olga"}
    assert post(f"{base}/review", form)[0] == 403
    assert review_rows(db) == []
    assert post(f"{base}/review", {**form, "token": "s3cret"})[0] == 200
    assert len(review_rows(db)) == 1


def test_the_form_and_its_replies_speak_the_report_language(ui, db: Path, tmp_path: Path):  # noqa: F811
    (tmp_path / "callqa.toml").write_text('report_language = "ru"\n')  # ./callqa.toml of the server
    base, _ = ui()
    status, page, _ = get(f"{base}/{call_href('c4')}")
    assert status == 200 and ">Сохранить</button>" in page and "Проверяющий <input" in page
    status, reply = post(f"{base}/review", {"call_id": "c4", "item_id": "politeness", "verdict": "pass",
                                            "reviewer": ""})
    assert status == 400 and "<h1>Проверка не сохранена</h1>" in reply and '<html lang="ru">' in reply
    assert "needs the reviewer&#x27;s name" in reply and review_rows(db) == []
