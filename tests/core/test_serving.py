"""`healthcard serve --workers N`: N processes, each on its own SO_REUSEPORT socket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from healthcard.core import migrate
from healthcard.core.serving import listening_socket
from tests.conftest import TEST_SECRET


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_workers_bind_the_same_port_each_with_its_own_socket() -> None:
    port = _free_port()
    first, second = listening_socket("127.0.0.1", port), listening_socket("127.0.0.1", port)
    try:
        assert first.getsockname()[1] == second.getsockname()[1] == port
    finally:
        first.close()
        second.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_serve_with_two_workers_answers_and_stops_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    migrate.upgrade(url)
    port = _free_port()
    env = {
        **os.environ,
        "HEALTHCARD_DATABASE_URL": url,
        "HEALTHCARD_ENVIRONMENT": "test",
        "HEALTHCARD_SECRET_KEY": TEST_SECRET,
        "HEALTHCARD_LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).parent / "healthcard"), "serve", "--port", str(port)]
    server = subprocess.Popen(  # noqa: S603 - our own command
        [*command, "--workers", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        assert len(_children(server.pid)) >= 2  # the two workers (spawned processes)
        for _ in range(20):  # new connections each time: both workers take some
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=40) == 0
