"""`callqa serve`: the nightly flow on its schedule, against a Prefect server that keeps state.

Prefect's temporary server refuses schedules ("Cannot schedule flows on an ephemeral server"),
so unless PREFECT_API_URL names a server, serve starts `prefect server start` as a child process
on a free localhost port, with its own PREFECT_HOME (database and log) beside callqa's database,
and stops it when serving ends.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

from prefect.runner import Runner
from prefect.schedules import Cron, Interval, Schedule
from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

from flows.nightly import nightly
from pipeline.config import Config

# A first start creates and migrates the server's database: tens of seconds on a busy machine.
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 30.0


class _Runner(Runner):
    def handle_sigterm(self, signum: int, frame: Any) -> None:
        """SIGTERM (`systemctl stop`) does what Ctrl-C does. Prefect 3.8.8's own handler never
        awaits its stop and leaves the runner hanging with tracebacks."""
        on_sigint = signal.getsignal(signal.SIGINT)
        if not callable(on_sigint):  # SIGINT ignored (nohup): stop all the same
            raise KeyboardInterrupt
        on_sigint(signum, frame)


class ServerError(RuntimeError):
    """The local Prefect server did not come up; the message names its log."""


def server_home(cfg: Config) -> Path:
    """The local server's PREFECT_HOME: its SQLite database and log, next to callqa's database."""
    return cfg.db.resolve().parent / "prefect"


def schedule(cfg: Config) -> Schedule:
    if cfg.schedule_interval_s:
        return Interval(timedelta(seconds=cfg.schedule_interval_s), timezone=cfg.timezone)
    return Cron(cfg.schedule_cron, timezone=cfg.timezone)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM even if callqa is killed with no chance to clean up."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM to the server's own process group (uvicorn shuts down gracefully), then SIGKILL."""
    for sig, wait_s in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            break
        try:
            server.wait(wait_s)
            break
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """The API URL of the server PREFECT_API_URL names; without one, a local server started in
    `home` for the duration of the block."""
    if url := get_current_settings().api.url:
        yield url
        return
    home.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    log_path = home / "server.log"
    with open(log_path, "ab") as log:
        # Its own session: Ctrl-C reaches callqa alone, which stops serving before the server.
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                raise ServerError(f"the local Prefect server did not start; see {log_path}")
            time.sleep(0.5)
        print(f"Started a local Prefect server at {url}; its state and log are in {home}", flush=True)
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    finally:
        _stop(server)


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
