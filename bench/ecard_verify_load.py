"""Online e-card verification under concurrent load: ``POST /api/v1/ecards/verify`` on PostgreSQL.

The issue's target (issue 4, Measurement): the online verify endpoint's throughput and latency
under concurrent load from a second process against PostgreSQL: at least 500 verifications per
second with p99 under 50 ms on this 2-core machine.

What it does:

1. Creates a fresh database ``hc_bench_<random>`` on the local PostgreSQL (dropped at the end
   unless ``--keep``), migrates it with the real migrations (``healthcard.core.migrate.upgrade``)
   and synchronises permissions.
2. Sets up, through the real services (each with its audit entries): one hospital, an API client
   with the ``ecards.verify`` and ``ecards.qrcode`` scopes (and ``residents.*``/``ecards.*``
   needed to register residents and open e-cards) and an OAuth2 bearer token of it, a SAM card
   and a terminal allowed ``registration``, an SM2 signing key (``ecard_service.rotate``, private
   key sealed under a master key file of the run), ``--residents`` residents registered through
   ``identity_service.register`` (valid resident ID numbers), one e-card each
   (``ecard_service.create``), and ``--codes`` dynamic QR codes signed by
   ``ecard_service.issue_code`` (round-robin over the e-cards; each dynamic code may be used
   once, the default policy). The codes are issued with ``ecard_qr_lifetime_seconds=3600`` (the
   maximum the settings allow) instead of 60 s so that pre-issued codes are still valid when
   they are scanned; nothing else differs from production codes. The payloads are written one
   per line to ``<workdir>/payloads.txt``.
3. For every configuration ``WORKERS:CONNECTIONS`` of ``--configs`` it starts the platform as a
   separate process (``.venv/bin/healthcard serve --port P [--workers N]``, the CLI; each worker
   listens on its own ``SO_REUSEPORT`` socket, core/serving.py) with ``HEALTHCARD_DATABASE_URL``,
   ``HEALTHCARD_ENVIRONMENT=test``, ``HEALTHCARD_SECRET_KEY``, ``HEALTHCARD_MASTER_KEY_FILE``
   (the same as the set-up's) and ``HEALTHCARD_LOG_LEVEL=WARNING``; warms it with ``--warmup``
   verifications (codes of their own), then drives ``wrk`` (a second process, closed loop:
   each of the ``CONNECTIONS`` keep-alive connections sends its next request when the previous
   answer arrives) for ``--duration`` seconds with a Lua script this script writes to its work
   folder (``LUA_SCRIPT`` below, ``verify.lua``): every
   request POSTs a different, never used payload of the configuration's own slice of the payload
   file, ``{"payload": ..., "terminal": ..., "use": "registration"}``, with the bearer token.
   Measured: verifications per second (HTTP 200 answers / duration), p50/p95/p99 latency (wrk's
   own histogram), non-200 answers by status, socket errors, and the CPU seconds of the server
   process tree, of all PostgreSQL backends and of wrk over the measured window, and the mean
   batch size (verifications per transaction, from the use log: the rows of one batch share
   their ``occurred_at``). Each wrk thread POSTs its own share of the slice; requests beyond it
   (which reuse codes and are refused as replays) are counted and reported.
4. Counts the SQL statements of one verification arriving alone and of 8 arriving at once
   (in-process, a SQLAlchemy ``before_cursor_execute`` listener), checks the use log (accepted
   rows = 200 answers) and, with ``--profile``, runs ``py-spy record`` (``.venv/bin/pip install
   py-spy``; not a project dependency) over an extra, untimed run of the best configuration and
   summarises where the server's CPU samples fall.
5. Prints a Markdown section; ``--write-doc`` (re)writes its section of ``docs/benchmarks.md``
   (other sections, and a hand-written ``### Findings`` subsection of this one, are kept).

Run (needs ``wrk``: ``apt-get install -y wrk``; about 3-8 minutes; give enough ``--codes`` for
every configuration's slice: about its rate × duration × 1.3)::

    .venv/bin/python bench/ecard_verify_load.py
    .venv/bin/python bench/ecard_verify_load.py --configs 1:1,1:16,2:8,2:16,2:32 --duration 15 \\
        --residents 500 --codes 130000 --profile --write-doc
    .venv/bin/python bench/ecard_verify_load.py --configs 1:32,2:32,2:64 --duration 30 \\
        --profile --write-doc
    .venv/bin/python bench/ecard_verify_load.py --residents 200 --codes 6000 --duration 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from stdnum.cn import uscc as uscc_number

from healthcard.accounts import service as accounts_service
from healthcard.accounts.schemas import ClientIn, InstitutionIn
from healthcard.cards.service import registry as registry_service
from healthcard.core import migrate
from healthcard.core.config import Settings
from healthcard.core.db import make_engine
from healthcard.core.principal import Principal, system_principal
from healthcard.ecard import permissions as _ecard_permissions  # noqa: F401 - defines the scopes
from healthcard.ecard import service as ecard_service
from healthcard.identity import service as identity_service
from healthcard.identity.idnumbers import make_resident_id
from healthcard.identity.schemas import RegistrationIn

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## E-card online verification under load on PostgreSQL"
FINDINGS = "### Findings"
SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET = "bench-ecard-verify-secret-key-0123456789abcdef"  # noqa: S105 - a throwaway database
TERMINAL = "T-BENCH-1"
USE = "registration"
TARGET_RATE = 500.0
TARGET_P99_MS = 50.0
SCOPES = [
    "residents.register",
    "residents.read",
    "ecards.manage",
    "ecards.read",
    "ecards.qrcode",
    "ecards.verify",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"

LUA_SCRIPT = r"""-- Written by bench/ecard_verify_load.py: POST each payload of a slice once.
-- Args: payload file, first line (1-based), count, bearer token, terminal, use.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  local file, first, count = args[1], tonumber(args[2]), tonumber(args[3])
  local nthreads = tonumber(args[7])
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. args[4]
  bodies = {}
  local n = 0
  for line in io.lines(file) do
    n = n + 1
    if n >= first and n < first + count and (n - first) % nthreads == tid then
      bodies[#bodies + 1] = wrk.format("POST", "/api/v1/ecards/verify", headers,
        '{"payload":"' .. line .. '","terminal":"' .. args[5] .. '","use":"' .. args[6] .. '"}')
    end
  end
  index = 0
  sent = 0
  nbodies = #bodies
  statuses = {}
end

function request()
  index = index + 1
  if index > #bodies then index = 1 end  -- wraps only when the slice is exhausted
  sent = sent + 1
  return bodies[index]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  local issued = 0
  local reused = 0
  for _, thread in ipairs(threads) do
    local st = thread:get("statuses")
    for code, n in pairs(st) do counts[tostring(code)] = (counts[tostring(code)] or 0) + n end
    issued = issued + thread:get("sent")
    reused = reused + math.max(0, thread:get("sent") - thread:get("nbodies"))
  end
  local parts = {}
  for code, n in pairs(counts) do parts[#parts + 1] = '"' .. code .. '":' .. n end
  io.write("WRKJSON {")
  io.write(string.format('"requests":%d,"duration_us":%d,"issued":%d,"reused":%d,',
    summary.requests, summary.duration, issued, reused))
  io.write(string.format('"connect":%d,"read":%d,"write":%d,"timeout":%d,"status_errors":%d,',
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status))
  io.write(string.format('"p50":%d,"p90":%d,"p95":%d,"p99":%d,"p999":%d,"max":%d,"mean":%f,',
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
  io.write('"statuses":{' .. table.concat(parts, ",") .. '}}\n')
end
"""


# Database -------------------------------------------------------------------------------------
def create_database(server_url: str) -> tuple[str, str]:
    name = f"hc_bench_{uuid.uuid4().hex[:10]}"
    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False), name


def drop_database(server_url: str, name: str) -> None:
    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def make_uscc(serial: int) -> str:
    body = f"12370602{serial + 72_000_000:09d}"
    return body + uscc_number.calc_check_digit(body)


# Set-up through the services ------------------------------------------------------------------
@dataclass
class Fixture:
    token: str
    ecard_ids: list[int]
    payloads: Path
    codes: int
    timings: dict[str, float] = field(default_factory=dict)


def set_up(engine: Engine, settings: Settings, args: argparse.Namespace, workdir: Path) -> Fixture:
    system = system_principal("bench")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        accounts_service.sync_permissions(session)
        hospital = accounts_service.create_institution(
            session,
            actor=system,
            data=InstitutionIn(
                uscc=make_uscc(1), name="基准测试医院", kind="hospital", division_code="370602"
            ),
        )
        issued = accounts_service.create_client(
            session,
            settings=settings,
            actor=system,
            data=ClientIn(name="bench HIS", institution_id=hospital.id, scopes=SCOPES),
        )
        registry_service.issue_sam(
            session, actor=system, serial="SAMBENCH0001", institution_id=hospital.id
        )
        registry_service.register_terminal(
            session,
            actor=system,
            code=TERMINAL,
            institution_id=hospital.id,
            sam_serial="SAMBENCH0001",
            uses=[USE],
        )
        ecard_service.rotate(session, settings=settings, actor=system)
        token = accounts_service.issue_token(
            session,
            settings=settings,
            client_id=issued.client.client_id,
            client_secret=issued.secret,
            scope=None,
        ).token
    with Session(engine, expire_on_commit=False) as session, session.begin():
        actor: Principal = accounts_service.principal_from_token(
            session, settings=settings, token=token
        )
    timings["institution, client, token, SAM, terminal, key"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    person_ids: list[int] = []
    first_birth = date(1950, 1, 1)
    for start in range(0, args.residents, 200):
        with Session(engine, expire_on_commit=False) as session, session.begin():
            for i in range(start, min(start + 200, args.residents)):
                born = first_birth + timedelta(days=(i * 7) % 25_000)
                name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[i % 13]
                data = RegistrationIn.model_validate(
                    {
                        "identifier": {"value": f"MRN{i:07d}"},
                        "name": name,
                        "id_number": make_resident_id("370602", born, 100 + i % 800),
                    }
                )
                answer = identity_service.register(
                    session, settings=settings, actor=actor, data=data
                )
                person_ids.append(answer.person.id)
    timings[f"{args.residents:,} residents (identity_service.register)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    ecard_ids: list[int] = []
    for start in range(0, len(person_ids), 500):
        with Session(engine, expire_on_commit=False) as session, session.begin():
            for person_id in person_ids[start : start + 500]:
                ecard = ecard_service.create(
                    session, settings=settings, actor=actor, person_id=person_id
                )
                ecard_ids.append(ecard.id)
    timings[f"{len(ecard_ids):,} e-cards (ecard_service.create)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    payloads = workdir / "payloads.txt"
    with payloads.open("w", encoding="ascii") as out:
        for start in range(0, args.codes, 1000):
            with Session(engine, expire_on_commit=False) as session, session.begin():
                for n in range(start, min(start + 1000, args.codes)):
                    code = ecard_service.issue_code(
                        session,
                        settings=settings,
                        actor=actor,
                        ecard_id=ecard_ids[n % len(ecard_ids)],
                        static=False,
                    )
                    out.write(code.text + "\n")
            if start and start % 10_000 == 0:
                print(f"  {start:,} codes issued", flush=True)
    timings[f"{args.codes:,} dynamic codes (ecard_service.issue_code)"] = time.perf_counter() - t0
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
    return Fixture(token, ecard_ids, payloads, args.codes, timings)


# Statements of one verification ---------------------------------------------------------------
def statements_of(
    settings: Settings, token: str, alone: str, together: Sequence[str]
) -> tuple[list[str], int, int]:
    """The SQL of one verification arriving alone, through the real app in this process, and
    the number of statements and transactions of ``together`` arriving at once."""
    import asyncio

    from fastapi.testclient import TestClient

    from healthcard.app import create_app

    seen: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(" ".join(statement.split())[:90])

    def body(payload: str) -> dict[str, str]:
        return {"payload": payload, "terminal": TERMINAL, "use": USE}

    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(settings)
    with TestClient(app) as client:
        event.listen(Engine, "before_cursor_execute", listener)
        try:
            answer = client.post("/api/v1/ecards/verify", json=body(alone), headers=headers)
        finally:
            event.remove(Engine, "before_cursor_execute", listener)
    if answer.status_code != 200:
        raise RuntimeError(f"in-process verification refused: {answer.text}")
    first = list(seen)
    seen.clear()

    async def at_once() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            return list(
                await asyncio.gather(
                    *(
                        http.post("/api/v1/ecards/verify", json=body(p), headers=headers)
                        for p in together
                    )
                )
            )

    verifier = app.state.ecard_verifier
    batches_before = verifier.batches
    event.listen(Engine, "before_cursor_execute", listener)
    try:
        answers = asyncio.run(at_once())
    finally:
        event.remove(Engine, "before_cursor_execute", listener)
    if any(a.status_code != 200 for a in answers):
        raise RuntimeError(f"in-process batch refused: {[a.text for a in answers]}")
    return first, len(seen), verifier.batches - batches_before


# Server, CPU accounting -----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(url: str, key_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HEALTHCARD_DATABASE_URL=url,
        HEALTHCARD_ENVIRONMENT="test",
        HEALTHCARD_SECRET_KEY=SECRET,
        HEALTHCARD_MASTER_KEY_FILE=str(key_file),
        HEALTHCARD_LOG_LEVEL="WARNING",
        HEALTHCARD_LOG_JSON="false",
    )
    return env


def server_command(workers: int, port: int) -> list[str]:
    venv = Path(sys.executable).parent
    command = [str(venv / "healthcard"), "serve", "--port", str(port)]
    return command if workers == 1 else [*command, "--workers", str(workers)]


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, None if it is gone: utime+stime plus the reaped
    children's cutime+cstime (PostgreSQL backends that exited count in the postmaster's)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / ticks


def _processes() -> dict[int, tuple[str, int, float]]:
    out: dict[int, tuple[str, int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        st = _stat(pid)
        if st is None:
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        out[pid] = (comm, st[0], st[1])
    return out


def cpu_snapshot(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the server's process tree and of all PostgreSQL processes."""
    procs = _processes()
    tree = {server_pid}
    changed = True
    while changed:
        changed = False
        for pid, (_, ppid, _) in procs.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                changed = True
    return {
        "server": sum(procs[p][2] for p in tree if p in procs),
        "postgres": sum(c for comm, _, c in procs.values() if comm.startswith("postgres")),
    }


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@contextmanager
def running_server(workers: int, url: str, key_file: Path, log: Path) -> Iterator[tuple[int, int]]:
    port = free_port()
    command = server_command(workers, port)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            command, env=server_env(url, key_file), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/ecards/keys", timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start; see {log}")
            time.sleep(0.3)
        time.sleep(1.0 if workers > 1 else 0.2)  # let every worker finish starting
        yield proc.pid, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# Load -----------------------------------------------------------------------------------------
@dataclass
class Config:
    workers: int
    connections: int

    @property
    def label(self) -> str:
        return f"{self.workers} worker{'s' if self.workers > 1 else ''}, {self.connections} conns"


@dataclass
class RunResult:
    config: Config
    wrk: dict[str, Any]
    seconds: float
    ok: int
    cpu: dict[str, float]
    wrk_cpu: float
    slice_size: int
    command: str
    server_command: str
    load_before: str
    load_after: str
    batch_mean: float = 0.0  # verifications per transaction, from the use log

    @property
    def rate(self) -> float:
        return self.ok / self.seconds

    def ms(self, key: str) -> float:
        return float(self.wrk[key]) / 1000.0

    @property
    def met(self) -> bool:
        return self.rate >= TARGET_RATE and self.ms("p99") < TARGET_P99_MS and self.failures == 0

    @property
    def failures(self) -> int:
        w = self.wrk
        non_ok = sum(n for code, n in w["statuses"].items() if code != "200")
        return int(non_ok + w["connect"] + w["read"] + w["write"] + w["timeout"])


def warm_up(port: int, token: str, payloads: Sequence[str]) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for payload in payloads:
            answer = client.post(
                "/api/v1/ecards/verify",
                json={"payload": payload, "terminal": TERMINAL, "use": USE},
                headers={"Authorization": f"Bearer {token}"},
            )
            if answer.status_code != 200:
                raise RuntimeError(f"warm-up verification refused: {answer.text}")


def wrk_command(
    args: argparse.Namespace, config: Config, port: int, fixture: Fixture, first: int, count: int
) -> list[str]:
    threads = min(args.wrk_threads, config.connections)
    return [
        args.wrk,
        f"-t{threads}",
        f"-c{config.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "10s",
        "-s",
        str(fixture.payloads.parent / "verify.lua"),
        f"http://127.0.0.1:{port}",
        "--",
        str(fixture.payloads),
        str(first),
        str(count),
        fixture.token,
        TERMINAL,
        USE,
        str(threads),
    ]


def run_wrk(command: list[str]) -> tuple[dict[str, Any], float, str]:
    before = os.times()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    after = os.times()
    match = re.search(r"^WRKJSON (.*)$", proc.stdout, re.M)
    if proc.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stdout}\n{proc.stderr}")
    cpu = (after.children_user + after.children_system) - (
        before.children_user + before.children_system
    )
    return json.loads(match.group(1)), cpu, proc.stdout


def run_config(
    args: argparse.Namespace,
    config: Config,
    url: str,
    key_file: Path,
    fixture: Fixture,
    lines: list[str],
    first: int,
    count: int,
    log: Path,
) -> RunResult:
    with running_server(config.workers, url, key_file, log) as (pid, port):
        warm = lines[first - 1 : first - 1 + args.warmup]
        warm_up(port, fixture.token, warm)
        command = wrk_command(args, config, port, fixture, first + args.warmup, count - args.warmup)
        load_before = loadavg()
        cpu0 = cpu_snapshot(pid)
        since = datetime.now(UTC)
        started = time.perf_counter()
        result, wrk_cpu, stdout = run_wrk(command)
        elapsed = time.perf_counter() - started
        cpu1 = cpu_snapshot(pid)
        load_after = loadavg()
    seconds = result["duration_us"] / 1e6
    ok = int(result["statuses"].get("200", 0))
    batch_mean = mean_batch(url, since)
    print(stdout.split("WRKJSON")[0].rstrip(), flush=True)
    shown = [c if c != fixture.token else "$TOKEN" for c in command]
    shown = [c if not c.startswith(str(fixture.payloads)) else "payloads.txt" for c in shown]
    shown = [c if not c.endswith("verify.lua") else "verify.lua" for c in shown]
    shown[0] = "wrk"
    server = server_command(config.workers, 0)
    server[0] = ".venv/bin/" + Path(server[0]).name
    server[server.index("0")] = "$PORT"
    return RunResult(
        config=config,
        wrk=result,
        seconds=seconds,
        ok=ok,
        cpu={k: (cpu1[k] - cpu0[k]) / elapsed for k in cpu0},
        wrk_cpu=wrk_cpu / elapsed,
        slice_size=count - args.warmup,
        command=shlex.join(shown),
        server_command=shlex.join(server),
        load_before=load_before,
        load_after=load_after,
        batch_mean=batch_mean,
    )


def mean_batch(url: str, since: datetime) -> float:
    """Verifications per transaction: the rows of one batch share their ``occurred_at`` (the
    batch's clock reading), so rows / distinct instants is the mean batch size."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows, batches = conn.execute(
            text(
                "SELECT count(*), count(DISTINCT occurred_at) FROM ecard_qr_uses"
                " WHERE mode = 'online' AND recorded_at >= :since"
            ),
            {"since": since},
        ).one()
    engine.dispose()
    return float(rows) / batches if batches else 0.0


# Profile --------------------------------------------------------------------------------------
# Where the server's CPU samples fall: the innermost frame of one of these, in this order.
PROFILE_BUCKETS = (
    ("SM2 signature check (core/sm2 → libcrypto)", "healthcard/core/sm2.py"),
    ("psycopg (driver: sending, waiting, reading)", "psycopg/"),
    ("SQLAlchemy (statements, ORM, session)", "sqlalchemy/"),
    ("pydantic", "pydantic"),
    ("FastAPI / Starlette (routing, dependencies, responses)", "fastapi/"),
    ("FastAPI / Starlette (routing, dependencies, responses)", "starlette/"),
    ("uvicorn, event loop, thread hand-offs", "uvicorn/"),
    ("uvicorn, event loop, thread hand-offs", "asyncio/"),
    ("uvicorn, event loop, thread hand-offs", "anyio/"),
    ("the platform's own Python (checks, audit chain, logging, metrics)", "healthcard/"),
)


def _bucket(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, marker in PROFILE_BUCKETS:
            if marker in frame:
                return name
    return "other (interpreter, standard library)"


def profile(
    args: argparse.Namespace,
    config: Config,
    url: str,
    key_file: Path,
    fixture: Fixture,
    first: int,
    count: int,
    workdir: Path,
    log: Path,
) -> str:
    """py-spy over an untimed run; where the server's CPU samples fall."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    raw = workdir / "profile.txt"
    seconds = min(args.duration, 20)
    with running_server(config.workers, url, key_file, log) as (pid, port):
        warm_up(port, fixture.token, [])
        command = wrk_command(args, config, port, fixture, first, count)
        command[command.index(f"-d{args.duration}s")] = f"-d{seconds + 4}s"
        load = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        time.sleep(2)
        spy = [py_spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200"]
        spy += ["--format", "raw", "--output", str(raw), "--nonblocking"]
        if config.workers > 1:
            spy.append("--subprocesses")
        subprocess.run(spy, check=False, capture_output=True)
        load.wait()
    return summarise_profile(raw)


def summarise_profile(raw: Path) -> str:
    buckets = Counter[str]()
    leaf = Counter[str]()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        n = int(count_text)
        total += n
        frames = stack.split(";")
        buckets[_bucket(frames)] += n
        leaf[frames[-1].split(" (")[0][:60]] += n
    if not total:
        return "(py-spy recorded no samples)"
    lines = [
        f"py-spy record (on-CPU samples only), 200 Hz: {total:,} samples of the server's"
        " threads (event loops and batch threads of every worker), by the innermost frame"
        " of a known library:",
        "",
        "| CPU samples in | share |",
        "|---|---:|",
    ]
    for name, n in buckets.most_common():
        lines.append(f"| {name} | {100 * n / total:.1f}% |")
    lines += ["", "Top innermost frames:", ""]
    for name, n in leaf.most_common(8):
        lines.append(f"- `{name}`: {100 * n / total:.1f}%")
    return "\n".join(lines)


# Report ---------------------------------------------------------------------------------------
def machine(engine: Engine) -> dict[str, str]:
    info: dict[str, str] = {"nproc": str(len(os.sched_getaffinity(0)))}
    meminfo = Path("/proc/meminfo").read_text()
    kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))  # type: ignore[union-attr]
    info["ram"] = f"{kib / 1024 / 1024:.1f} GiB"
    model = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    info["cpu"] = model.group(1).strip() if model else platform.processor() or "unknown"
    info["kernel"] = f"{platform.system()} {platform.release()}"
    info["python"] = platform.python_version()
    with engine.connect() as conn:
        info["postgresql"] = str(conn.execute(text("SELECT version()")).scalar_one())
        for setting in ("shared_buffers", "synchronous_commit", "fsync", "max_connections"):
            info[setting] = str(conn.execute(text(f"SHOW {setting}")).scalar_one())
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    info["wrk"] = (wrk.stdout + wrk.stderr).splitlines()[0] if wrk.stdout + wrk.stderr else "?"
    return info


def use_log(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT outcome, coalesce(error_code, ''), count(*)"
                " FROM ecard_qr_uses GROUP BY 1, 2"
            )
        ).all()
        audit = conn.execute(
            text("SELECT count(*) FROM audit_events WHERE action = 'ecard.verify'")
        ).scalar_one()
    out = {f"{o}{' ' + e if e else ''}": int(n) for o, e, n in rows}
    out["audit ecard.verify entries"] = int(audit)
    return out


def report(
    *,
    command: str,
    info: dict[str, str],
    fixture: Fixture,
    results: Sequence[RunResult],
    statements: tuple[list[str], int, int],
    uses: dict[str, int],
    profile_text: str | None,
    args: argparse.Namespace,
) -> str:
    best = max(results, key=lambda r: (r.met, r.failures == 0, r.rate))
    verdict = "met" if best.met else "not met"
    today = datetime.now(UTC).date().isoformat()
    out = [
        SECTION,
        "",
        f"Run on {today} with `{command}`.",
        "",
        "Machine (server, PostgreSQL and the load generator share it):",
        "",
        f"- {info['nproc']} CPUs (nproc), {info['ram']} RAM, {info['cpu']}; {info['kernel']};"
        f" Python {info['python']}",
        f"- {info['postgresql']}, same machine, stock settings (shared_buffers"
        f" {info['shared_buffers']}, synchronous_commit {info['synchronous_commit']}, fsync"
        f" {info['fsync']})",
        f"- load generator: {info['wrk']} (`apt-get install -y wrk`), a separate process",
        "",
        f"**Target: at least {TARGET_RATE:.0f} verifications/s with p99 under"
        f" {TARGET_P99_MS:.0f} ms: {verdict}** (best: {best.config.label}, {best.rate:,.0f}/s,"
        f" p99 {best.ms('p99'):.1f} ms).",
        "",
        f"Data: {args.residents:,} residents registered through `identity_service.register`, one"
        f" e-card each, {fixture.codes:,} dynamic QR codes signed by `ecard_service.issue_code`"
        " (one use each, the default policy; lifetime 3600 s so pre-issued codes are still valid"
        " at the run). Every request verifies a different, never used code: all should answer"
        " 200. wrk is closed loop (each connection sends its next request when the previous"
        f" answer arrives), {args.duration} s per configuration after {args.warmup} warm-up"
        " verifications; latency is wrk's (client side, includes queueing in the server).",
        "",
        "| server | wrk connections | verifications/s | p50 | p95 | p99 | max | non-200 / socket"
        " errors | mean batch | server CPU | PostgreSQL CPU | wrk CPU | load avg before → after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        w = r.wrk
        non_ok = {code: n for code, n in w["statuses"].items() if code != "200"}
        sock = w["connect"] + w["read"] + w["write"] + w["timeout"]
        reused = int(w.get("reused", 0))
        exhausted = (
            f" ({reused:,} requests reused codes: a wrk thread ran through its share)"
            if reused
            else ""
        )
        out.append(
            f"| {r.config.workers} worker{'s' if r.config.workers > 1 else ''}"
            f" | {r.config.connections} | {r.rate:,.0f} | {r.ms('p50'):.1f} ms"
            f" | {r.ms('p95'):.1f} ms | {r.ms('p99'):.1f} ms | {r.ms('max'):.0f} ms"
            f" | {sum(non_ok.values())} {json.dumps(non_ok) if non_ok else ''} / {sock}{exhausted}"
            f" | {r.batch_mean:.1f} | {100 * r.cpu['server']:.0f}% | {100 * r.cpu['postgres']:.0f}%"
            f" | {100 * r.wrk_cpu:.0f}% | {r.load_before} → {r.load_after} |"
        )
    out += [
        "",
        "Mean batch: verifications per transaction (the use-log rows of one batch share their"
        " `occurred_at`). CPU columns: CPU seconds per wall second over the measured window"
        " (200% = both cores) of the server's process tree, of all `postgres` processes, and of"
        " wrk.",
        "",
        "Commands (the script starts each server with `HEALTHCARD_DATABASE_URL=<fresh database>"
        " HEALTHCARD_ENVIRONMENT=test HEALTHCARD_SECRET_KEY=<set-up's> HEALTHCARD_MASTER_KEY_FILE="
        "<set-up's> HEALTHCARD_LOG_LEVEL=WARNING`):",
        "",
    ]
    for r in results:
        out.append(f"- {r.config.label}: `{r.server_command}`, then `{r.command}`")
    out += [
        "",
        f"Use log after the runs: {', '.join(f'{k}: {v:,}' for k, v in uses.items())}.",
        "",
        f"A verification arriving alone issues {len(statements[0])} SQL statements (in-process"
        " count, the app's own engine, bearer-token lookup included); 8 arriving at once issued"
        f" {statements[1]} in {statements[2]} transaction{'s' if statements[2] > 1 else ''}"
        " (core/batching.py: requests that arrive while a batch is in the database share the"
        " next one):",
        "",
    ]
    out += [f"{n}. `{s}`" for n, s in enumerate(statements[0], start=1)]
    out += ["", "Set-up times: " + "; ".join(f"{k} {v:.1f} s" for k, v in fixture.timings.items())]
    if profile_text:
        out += ["", f"Profile ({best.config.label}, an extra untimed run):", "", profile_text]
    return "\n".join(out) + "\n"


def write_doc(section: str) -> None:
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    start = current.find(SECTION)
    if start < 0:
        updated = current.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    else:
        following = current.find("\n## ", start + len(SECTION))
        end = len(current) if following < 0 else following
        findings = current.find(FINDINGS, start, end)
        kept = "" if findings < 0 else "\n" + current[findings:end].rstrip("\n") + "\n"
        updated = current[:start] + section.rstrip("\n") + "\n" + kept + current[end:]
    DOC.write_text(updated, encoding="utf-8")
    print(f"wrote the section to {DOC}", flush=True)


# Main -----------------------------------------------------------------------------------------
def parse_configs(value: str) -> list[Config]:
    configs = []
    for item in value.split(","):
        workers, _, connections = item.partition(":")
        configs.append(Config(int(workers), int(connections)))
    return configs


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--codes", type=int, default=30_000, help="dynamic codes to pre-issue")
    parser.add_argument(
        "--configs",
        type=parse_configs,
        default=parse_configs("1:1,1:16,1:32,2:32,2:64"),
        help="comma-separated WORKERS:CONNECTIONS (default 1:1,1:16,1:32,2:32,2:64)",
    )
    parser.add_argument("--duration", type=int, default=30, help="seconds per configuration")
    parser.add_argument("--warmup", type=int, default=100, help="warm-up verifications")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--server-url", default=SERVER_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database and work folder")
    parser.add_argument("--profile", action="store_true", help="py-spy the best configuration")
    parser.add_argument("--write-doc", action="store_true", help="write docs/benchmarks.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not shutil.which(args.wrk):
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    command = shlex.join([".venv/bin/python", "bench/ecard_verify_load.py", *sys.argv[1:]])
    workdir = Path(tempfile.mkdtemp(prefix="hc_ecard_bench_"))
    (workdir / "verify.lua").write_text(LUA_SCRIPT, encoding="utf-8")
    key_file = workdir / "master.key"
    key_file.write_text(secrets.token_hex(16))
    log = workdir / "server.log"
    url, name = create_database(args.server_url)
    print(f"created database {name}; work folder {workdir}", flush=True)
    try:
        migrate.upgrade(url)
        settings = Settings(
            environment="test",
            database_url=url,
            secret_key=SECRET,
            log_json=False,
            master_key_file=key_file,
            ecard_qr_lifetime_seconds=3600,
            access_token_minutes=24 * 60,
            gc_freeze=False,  # the in-process statement count starts an app here
        )
        engine = make_engine(url)
        info = machine(engine)
        fixture = set_up(engine, settings, args, workdir)
        for what, seconds in fixture.timings.items():
            print(f"  {what}: {seconds:.1f} s", flush=True)
        lines = fixture.payloads.read_text(encoding="ascii").splitlines()
        statements = statements_of(settings, fixture.token, lines[-1], lines[-9:-1])
        slices = len(args.configs) + (1 if args.profile else 0)
        size = (len(lines) - 9) // slices  # the last 9: the statement count
        results = []
        for n, config in enumerate(args.configs):
            print(f"{config.label}: {args.duration} s of wrk", flush=True)
            result = run_config(
                args, config, url, key_file, fixture, lines, 1 + n * size, size, log
            )
            results.append(result)
            print(
                f"  {result.rate:,.0f} verifications/s, p50 {result.ms('p50'):.1f} ms,"
                f" p95 {result.ms('p95'):.1f} ms, p99 {result.ms('p99'):.1f} ms,"
                f" statuses {result.wrk['statuses']}, server CPU {100 * result.cpu['server']:.0f}%,"
                f" postgres CPU {100 * result.cpu['postgres']:.0f}%",
                flush=True,
            )
        uses = use_log(engine)
        profile_text = None
        if args.profile:
            best = max(results, key=lambda r: (r.met, r.failures == 0, r.rate))
            print(f"profiling {best.config.label} with py-spy", flush=True)
            profile_text = profile(
                args,
                best.config,
                url,
                key_file,
                fixture,
                1 + len(args.configs) * size,
                size,
                workdir,
                log,
            )
        section = report(
            command=command,
            info=info,
            fixture=fixture,
            results=results,
            statements=statements,
            uses=uses,
            profile_text=profile_text,
            args=args,
        )
        print()
        print(section)
        if args.write_doc:
            write_doc(section)
        engine.dispose()
    finally:
        if args.keep:
            print(f"kept database {url} and {workdir}", flush=True)
        else:
            drop_database(args.server_url, name)
            shutil.rmtree(workdir, ignore_errors=True)
            print(f"dropped database {name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
