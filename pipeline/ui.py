"""`callqa ui`: the reports served locally, with a review form on each call page.

QA leads live in the browser. The server hands out the rendered report folder as it is and adds,
to each call page, a form per checklist item: verdict, reviewer, note. A posted review goes
through review.submit, as `callqa review` does: checked, then stored, or queued while a nightly
run holds the database (nothing is lost). After a stored review the reports are rendered again
in the background, one render at a time.

It binds 127.0.0.1 unless told otherwise. On a shared host give it a token: a request must carry
it once (`?token=...`, then a cookie) and every form posts it back.
"""
from __future__ import annotations

import hmac
import html
import re
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from .domain import CallError, DatabaseBusy, Review
from .report import call_href, catalogue
from .review import VERDICTS, submit
from .store import Store

COOKIE = "callqa_token"
_CALL_PAGE = re.compile(r"^/calls/[^/]+\.html$")


@dataclass(frozen=True)
class UiOptions:
    db: Path
    out: Path
    host: str = "127.0.0.1"
    port: int = 8765
    token: str = ""  # "" = none asked (fine on 127.0.0.1 alone)
    language: str = "en"  # of the form and the replies (report_language); messages stay English


class Rerender:
    """Re-render the reports after reviews, one render at a time; reviews arriving meanwhile
    are covered by one more render after it."""

    def __init__(self, render: Callable[[], object]):
        self._render, self._lock, self._pending, self._thread = render, threading.Lock(), False, None

    def request(self) -> None:
        with self._lock:
            self._pending = True
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    return
                self._pending = False
            try:
                self._render()
            except DatabaseBusy:  # a run holds the file: it renders the reports itself
                return

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()


def review_form(call_id: str, items: list[dict], token: str, language: str = "en") -> str:
    """The forms added to a call page: one per item, its current verdict selected."""
    _ = words(language)

    def esc(value: object) -> str:
        return html.escape(str(value), quote=True)

    rows = []
    for item in items:
        options = "".join(f'<option value="{v}"{" selected" if v == item["verdict"] else ""}>{v}</option>'
                          for v in VERDICTS)
        rows.append(
            f'<form method="post" action="/review" class="review-form">'
            f'<input type="hidden" name="call_id" value="{esc(call_id)}">'
            f'<input type="hidden" name="checklist_id" value="{esc(item["checklist_id"])}">'
            f'<input type="hidden" name="item_id" value="{esc(item["item_id"])}">'
            f'<input type="hidden" name="token" value="{esc(token)}">'
            f'<label>{esc(item["item_id"])} <select name="verdict">{options}</select></label> '
            f'<label>{_("Reviewer")} <input name="reviewer" required></label> '
            f'<label>{_("Note")} <input name="note" size="40"></label> '
            f'<button type="submit">{_("Save review")}</button></form>')
    return (f'<section aria-labelledby="review-forms"><h2 id="review-forms">{_("Review")}</h2>'
            f'<p class="subtitle">{_("Overrule or confirm a verdict; the history keeps every review.")}</p>'
            + "".join(rows) + "</section>")


def words(language: str) -> Callable[[str], str]:
    """English words -> the report language's (reports/strings.<language>.yaml)."""
    found = catalogue(language)
    return lambda text: found.get(text, text)


def make_handler(options: UiOptions, rerender: Rerender) -> type[SimpleHTTPRequestHandler]:
    _ = words(options.language)

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(options.out), **kwargs)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
            pass  # quiet: the terminal is the QA lead's

        def _token_ok(self, given: str | None = None) -> bool:
            if not options.token:
                return True
            cookie = SimpleCookie(self.headers.get("Cookie", ""))
            candidates = [given, parse_qs(urlsplit(self.path).query).get("token", [None])[0],
                          cookie[COOKIE].value if COOKIE in cookie else None]
            return any(c is not None and hmac.compare_digest(c, options.token) for c in candidates)

        def _reply(self, status: HTTPStatus, title: str, message: str, back: str = "/index.html") -> None:
            """title: already in the report language; message: English, as on the command line."""
            body = (f"<!doctype html><html lang=\"{options.language}\"><meta charset=\"utf-8\">"
                    f"<title>{html.escape(title)}</title><body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
                    f"<p><a href=\"{html.escape(back, quote=True)}\">{_('Back')}</a></p></body></html>").encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if not self._token_ok():
                return self._reply(HTTPStatus.FORBIDDEN, _("Token needed"), "open the address with ?token=… as given")
            path = urlsplit(self.path).path
            if options.token and "token=" in urlsplit(self.path).query:
                self._cookie = f"{COOKIE}={options.token}; HttpOnly; SameSite=Strict; Path=/"
            if _CALL_PAGE.match(path) and Path(self.translate_path(path)).is_file():
                return self._call_page(Path(self.translate_path(path)))
            return super().do_GET()

        def end_headers(self) -> None:
            if getattr(self, "_cookie", None):
                self.send_header("Set-Cookie", self._cookie)
            super().end_headers()

        def _call_page(self, page: Path) -> None:
            text = page.read_text(encoding="utf-8")
            call_id = _call_id_of(text)
            try:
                with Store(options.db, read_only=True) as store:
                    items = store.query("review_targets", {"call_id": call_id}) if call_id else []
            except DatabaseBusy:
                items = []  # a run holds the file: the page without forms; reviews wait a few minutes
            if items:
                text = text.replace("</main>", review_form(call_id, items, options.token, options.language) + "</main>", 1)
            body = text.encode("utf-8")
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            if urlsplit(self.path).path != "/review":
                return self._reply(HTTPStatus.NOT_FOUND, _("Not found"), f"nothing to post to at {self.path}")
            length = int(self.headers.get("Content-Length") or 0)
            if length > 64 * 1024:
                return self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _("Too large"), "a review is a few lines")
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8", "replace")).items()}
            if not self._token_ok(form.get("token")):
                return self._reply(HTTPStatus.FORBIDDEN, _("Token needed"), "the review was not stored")
            call_id = form.get("call_id", "")
            back = f"/{call_href(call_id)}" if call_id else "/index.html"
            try:
                review, stored = submit(options.db, Review(
                    call_id, form.get("item_id", ""), form.get("verdict", ""), form.get("reviewer", ""),
                    form.get("note", ""), checklist_id=form.get("checklist_id") or None))
            except (CallError, DatabaseBusy) as exc:
                return self._reply(HTTPStatus.BAD_REQUEST, _("Review not stored"), str(exc), back)
            if stored:
                rerender.request()
                return self._reply(HTTPStatus.OK, _("Review stored"),
                                   f"call {review.call_id} {review.item_id}: {review.verdict} by {review.reviewer} "
                                   f"(machine: {review.machine_verdict}); the reports are being rendered again", back)
            return self._reply(HTTPStatus.ACCEPTED, _("Review queued"),
                               f"a run holds the database: the review of call {review.call_id} {review.item_id} is "
                               f"queued and stored by the run; its reports will show it", back)

    return Handler


def _call_id_of(page: str) -> str | None:
    """The call id a rendered call page carries (its heading's data-call-id)."""
    m = re.search(r'data-call-id="([^"]*)"', page)
    return html.unescape(m.group(1)) if m else None


def serve(options: UiOptions, render: Callable[[], object]) -> ThreadingHTTPServer:
    """The server, bound and ready; serve_forever() runs it."""
    return ThreadingHTTPServer((options.host, options.port), make_handler(options, Rerender(render)))
