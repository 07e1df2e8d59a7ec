"""Serving the ASGI application with several worker processes that share the load evenly.

``uvicorn --workers N`` binds one listening socket in the parent and lets the workers accept from
it: whichever worker wakes first accepts every connection waiting, so the keep-alive connections
of a hospital's systems pile onto one worker (seen: 14 of 16 on one, the other nearly idle) and
that worker's one core becomes the platform's limit. Here each worker binds its own socket with
``SO_REUSEPORT``; the kernel then spreads new connections over the workers' sockets. The parent
only supervises: it restarts a worker that dies and stops them all on SIGINT/SIGTERM.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import time
from types import FrameType

import uvicorn

APP = "healthcard.app:create_app"


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` that other processes may bind too (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _worker(host: str, port: int) -> None:
    from healthcard.core import logging as hc_logging
    from healthcard.core.config import get_settings

    settings = get_settings()
    hc_logging.configure(level=settings.log_level, json_output=settings.log_json)
    sock = listening_socket(host, port)
    config = uvicorn.Config(APP, factory=True, log_config=None, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def run(host: str, port: int, workers: int) -> None:
    """Serve ``APP`` on ``host:port`` with ``workers`` processes (1: in this process)."""
    if workers <= 1:
        uvicorn.run(APP, factory=True, host=host, port=port, log_config=None)
        return
    listening_socket(host, port).close()  # fail here, not in every worker, if the port is taken
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> multiprocessing.process.BaseProcess:
        process = context.Process(target=_worker, args=(host, port), daemon=False)
        process.start()
        return process

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes = [start() for _ in range(workers)]
    try:
        while not stopping:
            time.sleep(0.5)
            for index, process in enumerate(processes):
                if not process.is_alive() and not stopping:
                    processes[index] = start()  # a crashed worker is replaced
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
