"""SM2 speed: healthcard.core.sm2 against ``openssl speed sm2`` (and gmssl for context).

The issue's target: at least 80% of OpenSSL's own sign and verify rates.

What it measures, in one run:

1. ``healthcard.core.sm2``: ``SM2PrivateKey.sign`` and ``SM2PublicKey.verify`` of a 20-byte
   message with the default ID, single-threaded, ``--seconds`` each. The rate is counted against
   both the wall clock and the process's user CPU time.
2. ``openssl speed -seconds S sm2`` (rates per user CPU second, openssl's default) and
   ``openssl speed -elapsed -seconds S sm2`` (per wall-clock second). Each of its iterations is
   ``EVP_DigestSignInit`` + ``EVP_DigestSign`` of 20 bytes with the SM2 default ID (Z_A included),
   the same work as one call of ours. Two clocks because this machine is shared: wall-clock rates
   drop when other processes take the CPU, CPU-time rates much less; the ratio is taken on the
   same clock for both.
3. The sign loop from 1 thread, then from ``nproc`` threads sharing one key (wall clock): ctypes
   releases the GIL in libcrypto, so threads scale as far as the other processes leave cores free.
4. gmssl (pure Python) for context, ``--gmssl-seconds`` each.
5. With ``--leak-check N``: N iterations of sign + verify + a rejected signature, with PEM
   export/import, point import, key generation and a refused PEM every 100 iterations; prints
   the resident set size every N/10 iterations after a warm-up.

Prints a Markdown table; with ``--write-doc`` (re)writes its section of ``docs/benchmarks.md``.

Each speed figure is the best of ``--rounds`` alternating rounds (ours, then OpenSSL's).

Run (about a minute, plus about 2-4 minutes for the leak check)::

    .venv/bin/python bench/sm2_speed.py --write-doc --leak-check 100000
"""

from __future__ import annotations

import argparse
import ctypes.util
import datetime as dt
import os
import platform
import re
import resource
import secrets
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gmssl import sm2 as gmssl_sm2

from healthcard.core.sm2 import N, SM2Error, SM2PrivateKey, SM2PublicKey

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SECTION = "## SM2 signatures: healthcard.core.sm2 vs openssl speed"
MESSAGE = bytes(range(20))  # openssl speed signs 20 bytes
TARGET = 0.80


@dataclass
class Rate:
    """Operations counted over a wall-clock and a user-CPU interval."""

    count: int
    wall: float
    cpu: float

    @property
    def per_wall_second(self) -> float:
        return self.count / self.wall

    @property
    def per_cpu_second(self) -> float:
        return self.count / self.cpu if self.cpu else float("nan")


def user_cpu() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_utime


def measure(operation: Callable[[], object], seconds: float) -> Rate:
    """Run ``operation`` for ``seconds`` of wall clock."""
    operation()  # warm-up: fetches, caches
    count, wall0, cpu0 = 0, time.perf_counter(), user_cpu()
    deadline = wall0 + seconds
    while True:
        for _ in range(10):
            operation()
        count += 10
        if time.perf_counter() >= deadline:
            break
    return Rate(count, time.perf_counter() - wall0, user_cpu() - cpu0)


def measure_threads(operation: Callable[[], object], seconds: float, threads: int) -> float:
    """Operations per wall-clock second with ``threads`` threads running ``operation``."""
    counts = [0] * threads
    start = threading.Barrier(threads + 1)
    stop = threading.Event()

    def work(index: int) -> None:
        start.wait()
        while not stop.is_set():
            operation()
            counts[index] += 1

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.perf_counter() - began)


def openssl_speed(seconds: int, *, elapsed: bool) -> tuple[float, float, str]:
    """(sign/s, verify/s, command) from ``openssl speed ... sm2``."""
    command = ["openssl", "speed", *(["-elapsed"] if elapsed else []), "-seconds", str(seconds)]
    for algorithm in (["sm2"], ["-evp", "sm2"]):  # the second form for builds without the first
        run = subprocess.run([*command, *algorithm], capture_output=True, text=True, check=False)
        match = re.search(
            r"^\s*256 bits SM2 \(CurveSM2\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)\s*$",
            run.stdout,
            re.MULTILINE,
        )
        if match:
            return float(match.group(1)), float(match.group(2)), shlex.join(command + algorithm)
    raise SystemExit(f"could not parse `openssl speed sm2`:\n{run.stdout}\n{run.stderr}")


def gmssl_rates(key: SM2PrivateKey, seconds: float) -> tuple[Rate, Rate]:
    """gmssl's sign and verify rates (its key given as x||y; see tests/core/test_sm2.py)."""
    xy = key.public_key().to_uncompressed()[1:].hex()
    crypt = gmssl_sm2.CryptSM2(private_key=key.private_value().hex(), public_key=xy, mode=1)
    crypt.public_key = xy
    signature = crypt.sign_with_sm3(MESSAGE, f"{secrets.randbelow(N - 1) + 1:064x}")
    assert crypt.verify_with_sm3(signature, MESSAGE)
    sign = measure(lambda: crypt.sign_with_sm3(MESSAGE), seconds)
    verify = measure(lambda: crypt.verify_with_sm3(signature, MESSAGE), seconds)
    return sign, verify


def rss_kib() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]


def leak_check(iterations: int) -> list[tuple[int, int]]:
    """(iteration, RSS KiB) samples over ``iterations`` sign+verify rounds and error paths."""
    key = SM2PrivateKey.generate()
    public = key.public_key()
    point = public.to_uncompressed()

    def round_(i: int) -> None:
        message = i.to_bytes(8, "big")
        signature = key.sign(message)
        assert public.verify(signature, message)
        assert not public.verify(signature, message + b"!")  # libcrypto error path
        if i % 100 == 0:
            assert SM2PrivateKey.from_pem(key.to_pem()).private_value() == key.private_value()
            assert SM2PublicKey.from_pem(public.to_pem()) == SM2PublicKey.from_uncompressed(point)
            SM2PrivateKey.generate().sign_der(message)
            try:
                SM2PrivateKey.from_pem(b"-----BEGIN PRIVATE KEY-----\nAA==\n-----END")
            except SM2Error:
                pass
            else:
                raise AssertionError("a broken PEM was accepted")

    for i in range(2_000):  # warm-up: allocator arenas, caches, interned objects
        round_(i)
    samples = [(0, rss_kib())]
    step = max(1, iterations // 10)
    for i in range(1, iterations + 1):
        round_(i)
        if i % step == 0:
            samples.append((i, rss_kib()))
            print(f"  leak check: {i:,} iterations, RSS {samples[-1][1]:,} KiB", flush=True)
    return samples


def machine() -> str:
    """nproc, RAM, CPU model, kernel, OpenSSL."""
    meminfo = Path("/proc/meminfo").read_text()
    kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))  # type: ignore[union-attr]
    model = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    cpu = model.group(1).strip() if model else platform.processor() or "unknown CPU"
    openssl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout
    return (
        f"{len(os.sched_getaffinity(0))} CPUs (nproc), {kib / 1024**2:.1f} GiB RAM, {cpu}; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"{openssl.strip()} (ctypes loads `{ctypes.util.find_library('crypto')}`)"
    )


@dataclass
class Best:
    """The best rate over the rounds, per clock: sign/s and verify/s."""

    sign_cpu: float = 0.0
    verify_cpu: float = 0.0
    sign_wall: float = 0.0
    verify_wall: float = 0.0

    def add(self, sign: Rate, verify: Rate) -> None:
        self.sign_cpu = max(self.sign_cpu, sign.per_cpu_second)
        self.verify_cpu = max(self.verify_cpu, verify.per_cpu_second)
        self.sign_wall = max(self.sign_wall, sign.per_wall_second)
        self.verify_wall = max(self.verify_wall, verify.per_wall_second)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=int, default=3, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; best kept")
    parser.add_argument("--gmssl-seconds", type=float, default=2.0)
    parser.add_argument("--leak-check", type=int, default=0, metavar="N", help="iterations")
    parser.add_argument("--write-doc", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args(argv)
    command = shlex.join([".venv/bin/python", "bench/sm2_speed.py", *sys.argv[1:]])
    loads = [os.getloadavg()]

    key = SM2PrivateKey.generate()
    public = key.public_key()
    signature = key.sign(MESSAGE)
    assert public.verify(signature, MESSAGE)
    ours, openssl = Best(), Best()
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number}: healthcard.core.sm2, then openssl speed ...", flush=True)
        ours.add(
            measure(lambda: key.sign(MESSAGE), args.seconds),
            measure(lambda: public.verify(signature, MESSAGE), args.seconds),
        )
        cpu_sign, cpu_verify, cpu_command = openssl_speed(args.seconds, elapsed=False)
        wall_sign, wall_verify, wall_command = openssl_speed(args.seconds, elapsed=True)
        openssl.sign_cpu = max(openssl.sign_cpu, cpu_sign)
        openssl.verify_cpu = max(openssl.verify_cpu, cpu_verify)
        openssl.sign_wall = max(openssl.sign_wall, wall_sign)
        openssl.verify_wall = max(openssl.verify_wall, wall_verify)
    threads = len(os.sched_getaffinity(0))
    print(f"measuring {threads} threads ...", flush=True)
    threaded_sign = tuple(
        measure_threads(lambda: key.sign(MESSAGE), args.seconds, n) for n in (1, threads)
    )
    print("measuring gmssl ...", flush=True)
    gm_sign, gm_verify = gmssl_rates(key, args.gmssl_seconds)
    loads.append(os.getloadavg())
    samples = leak_check(args.leak_check) if args.leak_check else []

    section = report(
        command=command,
        openssl_commands=(cpu_command, wall_command),
        rounds=args.rounds,
        ours=ours,
        openssl=openssl,
        threaded_sign=(threads, threaded_sign),
        gmssl=(gm_sign, gm_verify),
        loads=loads,
        samples=samples,
    )
    print()
    print(section)
    if args.write_doc:
        write_doc(section)
    return 0


def report(
    *,
    command: str,
    openssl_commands: tuple[str, str],
    rounds: int,
    ours: Best,
    openssl: Best,
    threaded_sign: tuple[int, tuple[float, ...]],
    gmssl: tuple[Rate, Rate],
    loads: list[tuple[float, float, float]],
    samples: list[tuple[int, int]],
) -> str:
    """The Markdown section (heading included)."""
    cpu_ratio = (ours.sign_cpu / openssl.sign_cpu, ours.verify_cpu / openssl.verify_cpu)
    wall_ratio = (ours.sign_wall / openssl.sign_wall, ours.verify_wall / openssl.verify_wall)
    n_threads, (one_thread, threaded) = threaded_sign
    gm_sign, gm_verify = gmssl
    load_text = " → ".join("{:.2f} {:.2f} {:.2f}".format(*load) for load in loads)
    met = min(*cpu_ratio, *wall_ratio) >= TARGET
    lines = [
        SECTION,
        "",
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d} with `{command}`; OpenSSL's side is "
        f"`{openssl_commands[0]}` (rates per user-CPU second, openssl's default) and "
        f"`{openssl_commands[1]}` (per wall-clock second).",
        "",
        f"Machine: {machine()}. Load average before → after the speed runs: {load_text}. "
        "The machine is shared, so wall-clock rates move with the other processes' load; "
        f"each figure is the best of {rounds} alternating rounds (ours, then OpenSSL's).",
        "",
        "One operation = SM3 of Z_A (default ID) and of a 20-byte message, then the signature or "
        "its check, single-threaded unless stated. The threads row scales only as far as the "
        "other processes on the machine leave a core free (see the load average).",
        "",
        "| implementation | clock | sign/s | verify/s | sign vs OpenSSL | verify vs OpenSSL |",
        "|---|---|---:|---:|---:|---:|",
        f"| `openssl speed sm2` (C) | user CPU | {openssl.sign_cpu:,.0f} "
        f"| {openssl.verify_cpu:,.0f} | 100% | 100% |",
        f"| healthcard.core.sm2 (ctypes → libcrypto) | user CPU | {ours.sign_cpu:,.0f} "
        f"| {ours.verify_cpu:,.0f} | {cpu_ratio[0]:.0%} | {cpu_ratio[1]:.0%} |",
        f"| `openssl speed -elapsed sm2` (C) | wall | {openssl.sign_wall:,.0f} "
        f"| {openssl.verify_wall:,.0f} | 100% | 100% |",
        f"| healthcard.core.sm2 (ctypes → libcrypto) | wall | {ours.sign_wall:,.0f} "
        f"| {ours.verify_wall:,.0f} | {wall_ratio[0]:.0%} | {wall_ratio[1]:.0%} |",
        f"| healthcard.core.sm2, 1 → {n_threads} threads sharing one key | wall "
        f"| {one_thread:,.0f} → {threaded:,.0f} | | | |",
        f"| gmssl 3.2.2 (pure Python) | wall | {gm_sign.per_wall_second:,.1f} "
        f"| {gm_verify.per_wall_second:,.1f} | {gm_sign.per_wall_second / openssl.sign_wall:.1%} "
        f"| {gm_verify.per_wall_second / openssl.verify_wall:.1%} |",
        "",
        f"Target: at least {TARGET:.0%} of OpenSSL's rates — "
        + ("met on both clocks." if met else "**not met** on at least one clock (see the table)."),
    ]
    if samples:
        first, last = samples[0][1], samples[-1][1]
        lines += [
            "",
            f"Memory: {samples[-1][0]:,} iterations of sign + verify + a rejected signature "
            "(with PEM export/import, point import, key generation and a refused PEM every 100) "
            f"after a 2,000-iteration warm-up: RSS {first:,} KiB → {last:,} KiB "
            f"({last - first:+,} KiB); samples every {samples[1][0]:,} iterations: "
            + ", ".join(f"{kib:,}" for _, kib in samples)
            + " KiB.",
        ]
    return "\n".join(lines) + "\n"


def write_doc(section: str) -> None:
    """Replace this benchmark's section of docs/benchmarks.md (or append it); keep the rest."""
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    start = current.find(SECTION)
    if start < 0:
        updated = current.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    else:
        following = current.find("\n## ", start + len(SECTION))
        tail = "" if following < 0 else current[following:]
        updated = current[:start] + section.rstrip("\n") + "\n" + tail
    DOC.write_text(updated, encoding="utf-8")
    print(f"wrote the section to {DOC}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
