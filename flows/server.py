"""`callqa serve`: the nightly flow on its schedule, against a Prefect server that keeps state.

Prefect's temporary server refuses schedules ("Cannot schedule flows on an ephemeral server"),
so unless PREFECT_API_URL names a server, serve starts `prefect server start` as a child process
on a free localhost port, with its own PREFECT_HOME (database and log) beside callqa's database,
and stops it when serving ends.
"""
from __future__ import annotations

import asyncio
import signal
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

from prefect.runner import Runner
from prefect.schedules import Cron, Interval, Schedule
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.local_server import LocalServer, configured_api_url
from flows.nightly import nightly
from pipeline.config import Config


class _Runner(Runner):
    def handle_sigterm(self, signum: int, frame: Any) -> None:
        """SIGTERM (`systemctl stop`) does what Ctrl-C does. Prefect 3.8.8's own handler never
        awaits its stop and leaves the runner hanging with tracebacks."""
        on_sigint = signal.getsignal(signal.SIGINT)
        if not callable(on_sigint):  # SIGINT ignored (nohup): stop all the same
            raise KeyboardInterrupt
        on_sigint(signum, frame)


def server_home(cfg: Config) -> Path:
    """The local server's PREFECT_HOME: its SQLite database and log, next to callqa's database."""
    return cfg.db.resolve().parent / "prefect"


def schedule(cfg: Config) -> Schedule:
    if cfg.schedule_interval_s:
        return Interval(timedelta(seconds=cfg.schedule_interval_s), timezone=cfg.timezone)
    return Cron(cfg.schedule_cron, timezone=cfg.timezone)


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """The API URL of the server PREFECT_API_URL names; without one, a local server started in
    `home` for the duration of the block."""
    if url := configured_api_url():
        yield url
        return
    with LocalServer(temporary=False, home=home, log_path=home / "server.log") as server:
        url = server.url
        print(f"Started a local Prefect server at {url}; its state and log are in {home}", flush=True)
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url


def serve_nightly(cfg: Config, parameters: dict[str, Any]) -> None:
    """Register the nightly flow with its schedule and run it until Ctrl-C or SIGTERM."""
    when = (f"every {cfg.schedule_interval_s:g} s" if cfg.schedule_interval_s
            else f"on '{cfg.schedule_cron}' ({cfg.timezone})")
    with prefect_server(server_home(cfg)) as url:
        print(f"Serving callqa-nightly {when} with the Prefect server at {url}; Ctrl-C stops.", flush=True)
        # One run at a time: DuckDB has one writer, and a run that outlasts its interval must
        # not start a second one beside it. Stopping pauses the schedule.
        runner = _Runner(name="callqa-nightly", pause_on_shutdown=True, limit=1)
        runner.add_flow(nightly, name="callqa-nightly", schedule=schedule(cfg), parameters=parameters)
        try:
            asyncio.run(runner.start())
        except KeyboardInterrupt:
            print("Stopped.", flush=True)
