"""A Prefect server as a child process on a free localhost port: `callqa serve` keeps one for as
long as it serves, `callqa run` a temporary one for its run.

No Prefect import here: `callqa run` starts the server first, then imports Prefect and loads the
model while the server comes up (about 6 s on 2 cores, the longest step before any call is
transcribed), instead of one after the other as Prefect's own temporary server would.
"""
from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# A first start creates and migrates the server's database: tens of seconds on a busy machine.
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 30.0


class ServerError(RuntimeError):
    """The local Prefect server did not come up; the message names its log."""


def configured_api_url() -> str | None:
    """The server PREFECT_API_URL names (environment or Prefect profile), if any."""
    from prefect.settings import get_current_settings  # settings alone: not the client or the server

    return get_current_settings().api.url


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


class LocalServer:
    """start() returns at once; url waits until the server answers. It stops at stop(), at the
    end of a `with` block, or when callqa exits. That exit hook is registered before Prefect's
    own, so it runs after them: Prefect sends its last logs to the server first, instead of
    retrying against a stopped one for a minute."""

    def __init__(self, *, temporary: bool, home: Path | None = None, log_path: Path | None = None):
        self.log_path = log_path
        self.temporary = temporary
        self.home = home
        self._process: subprocess.Popen | None = None
        self._url = ""

    def start(self) -> None:
        if self._process is not None:
            return
        port = _free_port()
        self._url = f"http://127.0.0.1:{port}/api"
        env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        if self.home is not None:
            env["PREFECT_HOME"] = str(self.home)
        if self.temporary:
            # What Prefect's own temporary server runs: the API alone, no UI, no scheduler and
            # other services; its state in the user's PREFECT_HOME, as before.
            import prefect  # the package's folder only; importing it loads no client or server

            args = ["-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent), "--factory",
                    "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
                    "--log-level", "error", "--lifespan", "on"]
            env.update(PREFECT_UI_ENABLED="0", PREFECT__SERVER_EPHEMERAL="1", PREFECT__SERVER_FINAL="1")
        else:
            args = ["-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # No log file: the server's few lines (log level error) go to callqa's own stderr.
        with open(self.log_path, "ab") if self.log_path else open(os.devnull, "rb") as log:
            # Its own session: Ctrl-C reaches callqa alone, which stops its work before the server.
            self._process = subprocess.Popen(
                [sys.executable, *args], env=env, stdin=subprocess.DEVNULL,
                stdout=log if self.log_path else None, stderr=subprocess.STDOUT if self.log_path else None,
                start_new_session=True, preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        atexit.register(self.stop)

    @property
    def url(self) -> str:
        """The API URL, once the server answers its health check."""
        self.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(self._url):
            if self._process.poll() is not None or time.monotonic() > deadline:
                where = f"see {self.log_path}" if self.log_path else "its error is above"
                raise ServerError(f"the local Prefect server did not start; {where}")
            time.sleep(0.1)
        return self._url

    def stop(self) -> None:
        """SIGTERM to the server's process group (uvicorn shuts down gracefully), then SIGKILL."""
        server, self._process = self._process, None
        if server is None:
            return
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

    def __enter__(self) -> "LocalServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
