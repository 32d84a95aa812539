"""`callqa` command line: run | serve | score | rescore | report | review | ui | eval | train | checklist."""
from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import nullcontext
from pathlib import Path

from .config import DEVICES, ENGINES, ConfigError, build_config, unknown_env
from .domain import CallError, DatabaseBusy

# Flags that map one-to-one onto Config keys (see config.py); None means "not given".
SETTING_FLAGS = {
    "--engine": dict(choices=ENGINES), "--model": {}, "--language": {}, "--device": dict(choices=DEVICES),
    "--compute-type": {}, "--beam-size": dict(type=int), "--batch-size": dict(type=int), "--initial-prompt": {},
    "--checklist": dict(type=Path), "--settle-seconds": dict(type=float),
    "--workers": dict(type=int), "--dask-address": {},
}


def _add_settings(parser: argparse.ArgumentParser, *extra: str) -> None:
    parser.add_argument("--config", type=Path, help="TOML file (default: ./callqa.toml if present)")
    for flag in extra:
        parser.add_argument(flag, type=Path)
    for flag, kwargs in SETTING_FLAGS.items():
        parser.add_argument(flag, **kwargs)


def _settings(args: argparse.Namespace, *keys: str) -> dict:
    names = [f.lstrip("-").replace("-", "_") for f in SETTING_FLAGS] + list(keys)
    return {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args, "retry_failed")
    # Values are checked before anything starts; files and models (preflight) before any flow run
    # or transcription, and a server already starting is stopped again.
    cfg = build_config(args.config, inbox=args.inbox, db=args.db, out=args.out, **settings)
    from .intake import has_new_recordings, nothing_to_do
    from .preflight import preflight
    from .transcribe import load_engine

    def temporary_server():
        """A Prefect server for this run alone, started at once, unless PREFECT_API_URL names one.
        Prefect's settings take 1.5 s to import; the server starts before them when the
        environment names none, and stops again if a Prefect profile does. It stops when callqa
        exits, after Prefect has sent it the run's last logs."""
        from flows.local_server import LocalServer, configured_api_url

        server = None if os.environ.get("PREFECT_API_URL") else LocalServer(temporary=True)
        if server:
            server.start()
        if configured_api_url() and server:
            server.stop()
            return None
        return server

    # The server takes the longest to start: when there are new recordings it starts first and
    # comes up while the checklists and the model load. A run with nothing to do never starts
    # it, nor imports Prefect.
    new = has_new_recordings(cfg)
    server = temporary_server() if new else None
    try:
        checklists = preflight(cfg)
        if not new:
            idle = nothing_to_do(cfg, checklists)
            if idle:
                print(idle)
                return 0
            server = temporary_server()
        load_engine(cfg)  # the model loads, or the run stops here with why
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from flows.nightly import nightly

        api = temporary_settings(updates={PREFECT_API_URL: server.url}) if server else nullcontext()
    except BaseException as exc:  # a bad setting, a server that did not start: no server left behind
        if server:
            from flows.local_server import ServerError

            server.stop()
            if isinstance(exc, ServerError):
                print(f"callqa: {exc}", file=sys.stderr)
                return 1
        raise
    with api:
        summary = nightly(inbox=_str(args.inbox), db=_str(args.db), out=_str(args.out),
                          config_file=_str(args.config), settings=settings)
    print(f"{summary['ok']} transcribed, {summary['failed']} failed, {summary['scored']} scored, "
          f"{summary['skipped']} already done")
    print(f"Report: {summary['report']}")
    return 1 if summary["failed"] else 0  # finished, with failed calls (`callqa status` lists them)


def cmd_serve(args: argparse.Namespace) -> int:
    from .preflight import preflight

    cfg = build_config(args.config, inbox=args.inbox, db=args.db, out=args.out,
                       schedule_interval_s=args.schedule_interval_s, **_settings(args))
    preflight(cfg)
    from flows.local_server import ServerError
    from flows.server import serve_nightly

    params = {"inbox": str(cfg.inbox.resolve()), "db": str(cfg.db.resolve()), "out": str(cfg.out.resolve()),
              "config_file": _str(args.config), "settings": _settings(args)}
    try:
        serve_nightly(cfg, params)
    except ServerError as exc:
        print(f"callqa: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from .contract import read_transcript, score_to_json
    from .preflight import check_checklist, check_model
    from .score import score_transcript

    cfg = build_config(args.config, **_settings(args))
    checklist = check_checklist(cfg)
    path: Path = args.file
    if path.suffix.lower() == ".json":
        transcript = read_transcript(path)
    else:
        check_model(cfg)
        transcript = _transcribe_file(path, cfg)
    score = score_transcript(transcript, checklist)
    if args.json:
        json.dump(score_to_json(score), sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print(f"{score.call_id}: {score.score if score.score is not None else 'n/a'} "
          f"({checklist.id} v{checklist.version})")
    for item in score.items:
        quote = f'  [{item.evidence[0].start:.1f}s {item.evidence[0].speaker}] "{item.evidence[0].text}"' \
            if item.evidence else ""
        print(f"  {item.verdict:<4} {item.item_id}: {item.reason}{quote}")
    return 0


def _transcribe_file(path: Path, cfg):
    from .ingest import read_recording
    from .process import transcribe_recording
    from .transcribe import load_engine

    if not path.is_file():
        raise CallError(f"no such file: {path}")
    # The call id comes from calls.csv or the file-name pattern, as in `callqa run`.
    rec = read_recording(path, cfg)
    result = transcribe_recording(rec, load_engine(cfg), cfg)
    if result.transcript is None:
        raise CallError(f"{path.name}: {result.error}")
    return result.transcript


def cmd_report(args: argparse.Namespace) -> int:
    from .preflight import check_out
    from .report import report_options, render_reports

    cfg = _stored_config(args)
    check_out(cfg)
    from .store import Store

    # A read-write open first: a database from an older callqa gets this release's views, and
    # reviews queued while a run held it are stored, before the pages read it.
    with Store(cfg.db):
        pass
    print(f"Report: {render_reports(cfg.db, cfg.out, report_options(cfg))}")
    return 0


def _stored_config(args: argparse.Namespace):
    """The config of a command that reads an existing database (--config, --db, --out)."""
    cfg = build_config(args.config, db=args.db, out=args.out)
    if not cfg.db.is_file():
        raise ConfigError(f"config key 'db': no callqa database at {cfg.db}; pass --db (the file "
                          "`callqa run` wrote) or run `callqa run` first")
    return cfg


def _publish_and_render(cfg) -> Path:
    """After a change to the database: the copy for SQL readers, then the reports; the index."""
    from .report import render_reports, report_options
    from .publish import publish

    publish(cfg.db, cfg.redact)
    return render_reports(cfg.db, cfg.out, report_options(cfg))


def cmd_rescore(args: argparse.Namespace) -> int:
    from .preflight import check_checklists, check_out
    from .rescore import score_stored
    from .store import Store

    cfg = _stored_config(args)
    if args.since and args.until and args.since > args.until:
        raise CallError(f"--since {args.since} is after --until {args.until}")
    checklists = check_checklists(cfg)
    check_out(cfg)
    with Store(cfg.db) as store:
        summary = score_stored(store, checklists, only=args.checklist, since=args.since, until=args.until)
    for call_id, why in sorted(summary.failed.items()):
        print(f"callqa: {call_id}: {why}", file=sys.stderr)
    print(summary.describe())
    print(f"Report: {_publish_and_render(cfg)}")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from .domain import Review
    from .review import ReviewError, history, submit
    from .store import Store

    cfg = _stored_config(args)
    if args.queue:
        from .report import report_options, review_queue

        with Store(cfg.db, read_only=True) as store:
            calls = review_queue(store, report_options(cfg))
        print(f"{len(calls)} call(s) to review, the least sure first (doubt 0..1):")
        for c in calls:
            on = f", least sure of {c['doubt_on']}" if c["doubt_on"] else ""
            print(f"  {c['doubt']:.2f}  {c['call_id']}  {c['name']}  {c['why']}  score {c['score']}{on}")
        return 0
    if args.export:
        return _export_lessons(cfg, args.export)
    if args.call_id is None:
        raise ReviewError("name the call to review (CALL_ID), or ask for --queue or --export")
    if args.item is None:  # show the call's verdicts and its reviews
        with Store(cfg.db, read_only=True) as store:
            verdicts, reviews = history(store, args.call_id)
        print(f"call {args.call_id}")
        for v in verdicts:
            by = f"  (machine: {v['machine_verdict']})" if v["verdict"] != v["machine_verdict"] else ""
            print(f"  {v['checklist_id']}.{v['item_id']}: {v['verdict']}{by}")
        for r in reviews:
            note = f" ({r['note']})" if r["note"] else ""
            print(f"  {r['reviewed_at']:%Y-%m-%d %H:%M} {r['reviewer']}: {r['item_id']} "
                  f"{r['machine_verdict']} -> {r['verdict']}{note}")
        return 0
    if args.verdict is None:
        raise ReviewError("give the verdict after the item: pass, fail or na")
    review, stored = submit(cfg.db, Review(args.call_id, args.item, args.verdict, args.reviewer or "",
                                           args.note or "", checklist_id=args.checklist))
    change = (f"{review.machine_verdict} -> {review.verdict}" if review.machine_verdict != review.verdict
              else f"{review.verdict}, as the machine said")
    if not stored:
        print(f"queued: call {review.call_id} {review.item_id}: {change} by {review.reviewer}. Another process "
              f"holds the database (a run in progress): it stores the review when it scores (the run's "
              f"reports show it) or, once it is past that, the database's next writer does.")
        return 0
    print(f"stored: call {review.call_id} {review.item_id}: {change} by {review.reviewer}")
    if not args.no_report:
        print(f"Report: {_publish_and_render(cfg)}")
    return 0


def _export_lessons(cfg, folder: Path) -> int:
    """The closed loop's first half: the reviews that stand, as corpus files for `callqa train`."""
    from .lessons import corpus_files, write_corpus
    from .preflight import check_checklists
    from .review import lessons_from
    from .store import Store

    checklists = check_checklists(cfg)
    with Store(cfg.db, read_only=True) as store:
        taught, unlearnable = lessons_from(store, checklists)
    docs = corpus_files(taught)
    written = write_corpus(folder, docs)
    print(f"{len(taught)} text(s) from the reviews for the learned layer, in {folder}:")
    for rel, doc in sorted(docs.items()):
        print(f"  {folder / rel}: {len(doc['yes'])} yes, {len(doc['no'])} no")
    for u in unlearnable:
        print(f"  not learnable: call {u.call_id} {u.item_id} ({u.reviewer}): {u.why}")
    if written:
        print(f"Next: callqa train --extra-corpus {folder}, then callqa rescore")
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    from .query import render, run
    from .publish import published_path

    cfg = build_config(args.config, db=args.db)
    copy = published_path(cfg.db)
    if not copy.is_file():
        raise ConfigError(f"config key 'db': no published copy at {copy}; `callqa run` (or `callqa report`) "
                          f"writes it beside {cfg.db}")
    sql = sys.stdin.read() if args.query in (None, "-") else args.query
    results = run(copy, sql)
    print("\n\n".join(render(r, args.format) for r in results if r.columns))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .publish import export_parquet, export_per_manager

    if not (args.per_manager or args.parquet):
        raise ConfigError("callqa export: give --per-manager DIR, --parquet DIR or both")
    cfg = build_config(args.config, db=args.db)
    mask = cfg.redact if args.mask is None else args.mask
    if args.per_manager:
        extracts = export_per_manager(cfg.db, args.per_manager, mask)
        for e in extracts:
            print(f"{e.path}: manager {e.manager_id}, {e.calls} call(s)")
        print(f"{len(extracts)} manager extract(s) in {args.per_manager}")
    if args.parquet:
        for folder in export_parquet(cfg.db, args.parquet, mask):
            print(f"{folder}/day=*/*.parquet")
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    from .ui import UiOptions, serve

    cfg = _stored_config(args)
    token = args.token or os.environ.get("CALLQA_UI_TOKEN", "")
    if args.host not in ("127.0.0.1", "localhost", "::1") and not token:
        raise ConfigError(f"--host {args.host} lets other machines in: give --token (or CALLQA_UI_TOKEN)")

    if not (cfg.out / "index.html").is_file():
        _publish_and_render(cfg)
    server = serve(UiOptions(cfg.db, cfg.out, args.host, args.port, token, cfg.report_language), lambda: _publish_and_render(cfg))
    host, port = server.server_address[:2]
    print(f"callqa ui: http://{host}:{port}/index.html{f'?token={token}' if token else ''}  (Ctrl-C stops it)",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _day(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def cmd_checklist_validate(args: argparse.Namespace) -> int:
    from .checklist import load_checklist

    checklist = load_checklist(args.file)
    print(f"{args.file}: OK ({checklist.id} v{checklist.version}, {len(checklist.items)} items)")
    return 0


def cmd_checklist_test(args: argparse.Namespace) -> int:
    from .checklist import load_checklist
    from .score import find_in_turns

    checklist = load_checklist(args.file)
    passed = total = 0
    for name, phrase_set in checklist.phrases.items():
        for lang, (yes, no) in phrase_set.examples.items():
            found = find_in_turns(checklist, name, lang, yes + no)
            for k, (text, how) in enumerate(zip(yes + no, found)):
                expected = k < len(yes)
                ok = bool(how) == expected
                passed += ok
                total += 1
                print(f"{'ok  ' if ok else 'FAIL'} {name} {lang} {'yes' if expected else 'no '} "
                      f"«{text}»" + (f": found by {how}" if how else ": not found"))
    print(f"{passed} of {total} examples pass" if total else
          f"{args.file}: no phrase set has examples")
    return 0 if passed == total else 1


def cmd_train(args: argparse.Namespace) -> int:
    from .routing import resolve_checklist
    from .train import train

    path, summary = train(resolve_checklist(build_config(args.config, checklist=args.checklist).checklist),
                          extra=args.extra_corpus)
    for key, figures in summary["concepts"].items():
        measured = (f"held-out accuracy {figures['accuracy']:.3f}, precision "
                    f"{figures['precision']:.3f}, recall {figures['recall']:.3f}"
                    if "accuracy" in figures else "too few texts to hold any out")
        reviewed = f" ({figures['reviewed']} from reviews)" if figures.get("reviewed") else ""
        print(f"{key}: {figures['yes']} yes / {figures['no']} no{reviewed}; {measured}; "
              f"threshold {figures['threshold']:.3f}")
    print(f"Model: {path} (corpus {summary['corpus_sha256'][:12]}; details in "
          f"{path.with_suffix('.json')})")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if args.promises:
        from .promise_eval import describe, evaluate as evaluate_promises, load_cases

        result = evaluate_promises(load_cases(part=args.promises))
        if args.json:
            json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
            print()
        else:
            print(describe(result, args.promises))
        return 0
    from .evaluate import evaluate, evaluation_to_json, load_labelled, render_text
    from .preflight import check_checklist
    from .score import score_transcripts

    cfg = build_config(args.config, **({"checklist": args.checklist} if args.checklist else {}))
    checklist = check_checklist(cfg)
    calls = load_labelled(args.paths)
    # One batch: spaCy loads once and lemmatises every call of a language together.
    result = evaluate(calls, score_transcripts([c.transcript for c in calls], checklist))
    if args.json:
        json.dump(evaluation_to_json(result, args.max_disagreements), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(render_text(result, args.max_disagreements))
    return 0


def _str(value) -> str | None:
    return None if value is None else str(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callqa", description="Call-recording quality review.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="process new recordings once (the nightly flow)")
    _add_settings(run, "--inbox", "--db", "--out")
    run.add_argument("--retry-failed", action="store_true", default=None,
                     help="process calls that failed before again")
    run.set_defaults(func=cmd_run)

    serve = sub.add_parser("serve", help="run the nightly flow on its schedule (starts a local Prefect server)")
    _add_settings(serve, "--inbox", "--db", "--out")
    serve.add_argument("--schedule-interval-s", type=float, metavar="SECONDS",
                       help="run every SECONDS instead of on schedule_cron (trials, tests)")
    serve.set_defaults(func=cmd_serve)

    score = sub.add_parser("score", help="score one recording or transcript JSON")
    score.add_argument("file", type=Path)
    score.add_argument("--json", action="store_true", help="print the JSON contract")
    _add_settings(score)
    score.set_defaults(func=cmd_score)

    report = sub.add_parser("report", help="render the HTML reports from the database")
    report.add_argument("--config", type=Path)
    report.add_argument("--db", type=Path)
    report.add_argument("--out", type=Path)
    report.set_defaults(func=cmd_report)

    rescore = sub.add_parser("rescore", help="score the stored transcripts again after a checklist "
                             "edit (reads no audio), then publish and re-render the reports")
    rescore.add_argument("--config", type=Path, help="TOML file (default: ./callqa.toml if present)")
    rescore.add_argument("--db", type=Path, help="the callqa database")
    rescore.add_argument("--out", type=Path, help="the report folder to re-render")
    rescore.add_argument("--checklist", metavar="ID", help="only the calls this checklist scores")
    rescore.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="only calls of this day or later")
    rescore.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="only calls of this day or earlier")
    rescore.set_defaults(func=cmd_rescore)

    checklist = sub.add_parser("checklist", help="checklist tools").add_subparsers(dest="action", required=True)
    validate = checklist.add_parser("validate", help="check a checklist file for errors")
    validate.add_argument("file", type=Path)
    validate.set_defaults(func=cmd_checklist_validate)
    test = checklist.add_parser("test", help="run the phrase sets' examples (found / not found)")
    test.add_argument("file", type=Path)
    test.set_defaults(func=cmd_checklist_test)

    tr = sub.add_parser("train", help="train the learned layer on checklists/corpus/ (offline, deterministic)")
    tr.add_argument("--config", type=Path)
    tr.add_argument("--checklist", type=Path,
                    help="the artefact goes to models/<checklist id>.npz beside it "
                    "(default: the configured checklist)")
    tr.add_argument("--extra-corpus", type=Path, action="append", default=[], metavar="DIR",
                    help="add the texts of a corpus folder (<lang>/<concept>.yaml), such as the one "
                    "`callqa review --export DIR` writes from QA leads' reviews; repeatable")
    tr.set_defaults(func=cmd_train)

    rv = sub.add_parser("review", help="overrule a verdict (CALL_ID ITEM pass|fail|na --reviewer NAME), "
                        "show a call's verdicts and reviews (CALL_ID alone), or list the queue (--queue)")
    rv.add_argument("call_id", nargs="?", metavar="CALL_ID")
    rv.add_argument("item", nargs="?", metavar="ITEM", help="the checklist item, e.g. asked_convenient")
    rv.add_argument("verdict", nargs="?", choices=("pass", "fail", "na"), help="the verdict that stands")
    rv.add_argument("--reviewer", metavar="NAME", help="who reviews (required with a verdict)")
    rv.add_argument("--note", metavar="TEXT", help="why, for the manager and the history")
    rv.add_argument("--checklist", metavar="ID", help="the checklist, when several scored the item")
    rv.add_argument("--queue", action="store_true", help="list the review queue: flagged calls and each "
                    "manager's weekly random sample (review_sample, review_seed), the least sure first")
    rv.add_argument("--export", type=Path, metavar="DIR", help="write what the reviews teach the "
                    "learned layer as corpus files in DIR, for `callqa train --extra-corpus DIR`")
    rv.add_argument("--config", type=Path, help="TOML file (default: ./callqa.toml if present)")
    rv.add_argument("--db", type=Path, help="the callqa database")
    rv.add_argument("--out", type=Path, help="the report folder to re-render")
    rv.add_argument("--no-report", action="store_true", help="store the review only; publish and "
                    "re-render later (`callqa report`, or the next run)")
    rv.set_defaults(func=cmd_review)

    from .query import FORMATS

    sq = sub.add_parser("sql", help="run a query on the published database, read-only (README, SQL)")
    sq.add_argument("query", nargs="?", metavar="QUERY", help="SQL; none or '-': read it from stdin")
    sq.add_argument("--format", choices=FORMATS, default="table", help="table (default), csv, json or markdown")
    sq.add_argument("--config", type=Path, help="TOML file (default: ./callqa.toml if present)")
    sq.add_argument("--db", type=Path, help="the callqa database; its published copy is queried")
    sq.set_defaults(func=cmd_sql)

    ex = sub.add_parser("export", help="extracts for readers: a DuckDB file per manager, Parquet by day")
    ex.add_argument("--per-manager", type=Path, metavar="DIR", help="one <manager_id>.duckdb per manager: "
                    "only that manager's calls, segments and verdicts, with the team's figures (team_* tables)")
    ex.add_argument("--parquet", type=Path, metavar="DIR", help="Hive-partitioned Parquet: "
                    "DIR/<table>/day=YYYY-MM-DD/*.parquet")
    ex.add_argument("--mask", action=argparse.BooleanOptionalAction, default=None,
                    help="customer numbers masked to their last four digits (default: the config's redact, true)")
    ex.add_argument("--config", type=Path, help="TOML file (default: ./callqa.toml if present)")
    ex.add_argument("--db", type=Path, help="the callqa database (read-only; not while a run writes it)")
    ex.set_defaults(func=cmd_export)

    ui = sub.add_parser("ui", help="serve the reports locally with a review form on each call page")
    ui.add_argument("--config", type=Path, help="TOML file (default: ./callqa.toml if present)")
    ui.add_argument("--db", type=Path, help="the callqa database")
    ui.add_argument("--out", type=Path, help="the report folder (rendered first if empty)")
    ui.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    ui.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free one)")
    ui.add_argument("--token", help="access token for a shared host (or CALLQA_UI_TOKEN); required "
                    "unless bound to this machine only")
    ui.set_defaults(func=cmd_ui)

    ev = sub.add_parser("eval", help="agreement of the verdicts with labelled transcripts")
    ev.add_argument("paths", type=Path, nargs="*", default=[Path("tests/data/dev/locked")],
                    metavar="PATH", help="labelled transcript JSON files or folders "
                    "(default: tests/data/dev/locked)")
    ev.add_argument("--config", type=Path)
    ev.add_argument("--checklist", type=Path)
    ev.add_argument("--json", action="store_true", help="the figures and disagreements as JSON")
    ev.add_argument("--max-disagreements", type=int, metavar="N", help="list at most N disagreements")
    ev.add_argument("--promises", choices=("locked", "tune", "all"), help="instead: the promises ledger on "
                    "the labelled promises (tests/data/promises/cases.yaml), that part of them")
    ev.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Offline machines: Prefect's local server would log a failed telemetry call on every run.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    args = build_parser().parse_args(argv)
    for warning in unknown_env(os.environ):
        print(f"callqa: warning: {warning}", file=sys.stderr)
    try:
        return args.func(args)
    except DatabaseBusy as exc:
        print(f"callqa: {exc}", file=sys.stderr)
        return 3
    except (CallError, ConfigError, FileNotFoundError) as exc:
        print(f"callqa: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
