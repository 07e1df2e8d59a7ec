"""Online EMPI benchmark: match latency and registration throughput on PostgreSQL.

The issue's target: online registration throughput and match latency on PostgreSQL with
1,000,000 persons loaded; p95 match latency under 20 ms.

What it does:

1. Creates a fresh database ``hc_bench_<random>`` on the local PostgreSQL (or uses
   ``--database-url``), migrates it with the real migrations, synchronises permissions and creates
   one institution per hospital source.
2. Bulk-loads ``--persons`` persons of ``generate_population(persons=N, sources=5, seed=...)``
   with psycopg ``COPY``. For every record it builds exactly the rows :func:`register` would
   (``persons``, ``person_records``, ``person_identifiers``: blind indexes and SM4-GCM sealed
   values from the real ``protect`` functions, pinyin from ``features.name_features``,
   identifier indexes from ``registration.identifier_index``), but it does **not** run the
   matcher: every true person of the generator gets one ``Person`` (the load is the ground truth,
   not a matching run). Inputs the API would refuse are corrected the way an HIS would after a
   422: an invalid ID number is sent without the number, a birth date contradicting a valid ID
   number is left out (the ID decides it anyway). A small sample of records of persons that
   already have a loaded record is held out: those are the "existing person" inputs of steps 3
   and 4, with the generator's realistic errors. Then ``VACUUM (ANALYZE)``.
3. Match latency: ``service.match`` for ``--queries`` inputs, half held-out records of loaded
   persons and half first records of persons of another seed of the generator (new persons),
   single-threaded, each in its own transaction (the time includes BEGIN/COMMIT). The number of
   candidate records scored is counted afterwards by re-running ``repository.candidate_records``.
4. Registration throughput: ``--registrations`` calls of the real ``service.register`` (new local
   numbers; half held-out records of loaded persons, half new persons) from ``--workers``
   threads, each call its own transaction, the actor a client principal of the source
   institution.
5. Prints a Markdown table; with ``--write-doc`` (re)writes its section of
   ``docs/benchmarks.md`` (other sections, and a hand-written ``### Findings`` subsection at the
   end of this one, are kept).

Run (about 20-30 minutes for one million persons on 2 CPUs)::

    .venv/bin/python bench/empi_online.py --write-doc
    .venv/bin/python bench/empi_online.py --persons 20000 --queries 300 --registrations 300

Keep the database for a later run with ``--keep``, then reuse it with
``--database-url URL --skip-load`` (same ``--persons`` and ``--seed``: the generator is
deterministic, so the truth and the held-out records are recomputed without loading).
``--profile FILE`` runs pyinstrument (``.venv/bin/pip install pyinstrument``; not a project
dependency) over an extra, untimed pass of the match queries and writes its text report.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import math
import multiprocessing
import os
import platform
import queue
import random
import re
import shlex
import sys
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
from pydantic import ValidationError
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from stdnum.cn import uscc as uscc_number

from healthcard.accounts import service as accounts_service
from healthcard.accounts.schemas import InstitutionIn
from healthcard.core import migrate
from healthcard.core.config import Settings
from healthcard.core.db import make_engine
from healthcard.core.principal import Principal, system_principal
from healthcard.identity import repository
from healthcard.identity import service as identity_service
from healthcard.identity.exceptions import InconsistentDemographics, InvalidIdNumber
from healthcard.identity.features import name_features, normalize_phone
from healthcard.identity.idnumbers import ResidentId
from healthcard.identity.population import PopulationRecord, generate_population
from healthcard.identity.schemas import RESIDENT_ID_SYSTEM, RegistrationIn
from healthcard.identity.service import registration
from healthcard.identity.service.protect import blind_index, seal_value

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SECTION = "## EMPI online: match latency and registration throughput on PostgreSQL"
FINDINGS = "### Findings"
SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET = "bench-empi-online-secret-key-0123456789abcdef"  # noqa: S105 - a throwaway database
SOURCES = 5
DEFAULT_SEED = 20261122
TARGET_P95_MS = 20.0
WARMUP = 50
LOAD_RULE_SET = "bench-load"
CHUNK = 20_000
JOB_SIZE = 2_000
RECORDS_PER_PERSON = 1.85  # what the generator gives with 5 sources (for the progress ETA)

RECORD_COLUMNS = (
    "id", "person_id", "institution_id", "source_system", "local_id", "name", "name_pinyin",
    "surname_pinyin", "sex", "birth_date", "birth_year", "id_type", "id_number_sealed",
    "id_number_index", "id_valid", "id_last4", "phone_sealed", "phone_index", "address",
    "mother_id_number_index", "outcome", "match_probability", "rule_set", "manual", "created_at",
    "updated_at",
)  # fmt: skip
IDENTIFIER_COLUMNS = (
    "person_id", "system", "value_sealed", "value_index", "record_id", "created_at",
)  # fmt: skip
PERSON_COLUMNS = (
    "id", "status", "merged_into_id", "name", "sex", "birth_date", "id_number_sealed",
    "phone_sealed", "address", "provisional", "mother_id", "created_at", "updated_at",
)  # fmt: skip


# Inputs ---------------------------------------------------------------------------------------
@dataclass
class Fixes:
    """How many inputs were corrected the way a client corrects a refused registration."""

    id_dropped: int = 0
    birth_dropped: int = 0
    sex_dropped: int = 0
    refused: int = 0


Documents = tuple[str | None, str | None, ResidentId | None]


def registration_in(
    record: PopulationRecord, local_id: str, fixes: Fixes
) -> tuple[RegistrationIn, Documents] | None:
    """The API input for a generated record (and its checked documents); what ``register``
    would refuse is left out."""
    values: dict[str, Any] = {
        "identifier": {"value": local_id},
        "name": record.name,
        "sex": record.sex or None,
        "birth_date": date.fromisoformat(record.birth_date) if record.birth_date else None,
        "id_type": record.id_type or None,
        "id_number": record.id_number or None,
        "phone": record.phone or None,
        "address": record.address or None,
    }
    for _ in range(4):
        try:
            data = RegistrationIn.model_validate(values)
            documents = registration.check_documents(data)
        except InvalidIdNumber:
            values["id_number"] = values["id_type"] = None
            fixes.id_dropped += 1
            continue
        except InconsistentDemographics as error:
            where = error.errors[0].field
            values[where] = None
            if where == "birth_date":
                fixes.birth_dropped += 1
            else:
                fixes.sex_dropped += 1
            continue
        except ValidationError:
            fixes.refused += 1
            return None
        return data, documents
    fixes.refused += 1
    return None


@dataclass(frozen=True)
class Source:
    """One hospital source of the generator: its institution, system and client principal."""

    label: str
    institution_id: int
    system: str
    actor: Principal


@dataclass(frozen=True)
class Probe:
    """One input of the match or registration phase, with the truth to check the answer."""

    record: PopulationRecord
    data: RegistrationIn
    source: Source
    existing: bool
    true_person_id: int | None  # the loaded person, for records of loaded persons


# Database -------------------------------------------------------------------------------------
def create_database(server_url: str) -> tuple[str, str]:
    """A new, empty database on the server of ``server_url``: (its URL, its name)."""
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


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as psycopg wants it (no ``+psycopg`` driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_uscc(serial: int) -> str:
    body = f"12370602{serial + 71_000_000:09d}"
    return body + uscc_number.calc_check_digit(body)


def prepare(engine: Engine, labels: Sequence[str]) -> dict[str, Source]:
    """Permissions, and one institution (with its client principal) per source label."""
    actor = system_principal("bench")
    sources: dict[str, Source] = {}
    with Session(engine, expire_on_commit=False) as session, session.begin():
        accounts_service.sync_permissions(session)
        for n, label in enumerate(labels, start=1):
            existing = session.execute(
                text("SELECT id, uscc FROM institutions WHERE name = :n"),
                {"n": f"基准测试医院{label}"},
            ).first()
            if existing is not None:
                institution_id, uscc = int(existing[0]), str(existing[1])
            else:
                institution = accounts_service.create_institution(
                    session,
                    actor=actor,
                    data=InstitutionIn(
                        uscc=make_uscc(n),
                        name=f"基准测试医院{label}",
                        kind="hospital",
                        division_code="370602",
                    ),
                )
                institution_id, uscc = institution.id, institution.uscc
            client = Principal(
                kind="client",
                id=n,
                name=f"bench HIS {label}",
                institution_id=institution_id,
                permissions=frozenset({"residents.register", "residents.read"}),
            )
            sources[label] = Source(
                label, institution_id, registration.institution_system(uscc), client
            )
    return sources


# Bulk load ------------------------------------------------------------------------------------
@dataclass
class LoadResult:
    persons: int = 0
    records: int = 0
    identifiers: int = 0
    id_collisions: int = 0
    held_out: list[PopulationRecord] = field(default_factory=list)
    truth: dict[str, int] = field(default_factory=dict)  # truth person -> persons.id
    fixes: Fixes = field(default_factory=Fixes)
    seconds: float = 0.0
    vacuum_seconds: float = 0.0


class CopyWriter:
    """COPYs chunks of rows in a background thread, so PostgreSQL works while Python builds."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.chunks: queue.Queue[tuple[str, Sequence[str], list[tuple[Any, ...]]] | None] = (
            queue.Queue(maxsize=4)
        )
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def put(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if self.error is not None:
            raise RuntimeError("COPY failed") from self.error
        if rows:
            self.chunks.put((table, columns, rows))

    def close(self) -> None:
        self.chunks.put(None)
        self.thread.join()
        if self.error is not None:
            raise RuntimeError("COPY failed") from self.error

    def _run(self) -> None:
        while (item := self.chunks.get()) is not None:
            if self.error is not None:
                continue
            table, columns, rows = item
            try:
                with self.conn.cursor() as cur:
                    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                    with cur.copy(sql) as copy:
                        for row in rows:
                            copy.write_row(row)
            except BaseException as error:
                self.error = error


def bulk_load(
    url: str,
    settings: Settings,
    sources: dict[str, Source],
    *,
    persons: int,
    seed: int,
    hold_out: int,
    write: bool,
    workers: int,
) -> LoadResult:
    """Load the population as ``register`` would have stored it, without matching.

    The generator runs in this process (it is sequential), which also assigns person and record
    ids; ``workers`` processes build the rows (validation, pinyin, blind indexes, sealing); a
    thread COPYs them. With ``write=False`` nothing is built or written: the generator is
    replayed only to recompute the truth and the held-out records of an earlier ``--keep`` run.
    """
    result = LoadResult()
    rng = random.Random(seed ^ 0x5EED)
    # Held-out records are taken from records of persons already loaded; sample with margin.
    share = min(1.0, 1.5 * hold_out / max(1.0, 0.85 * persons))
    people: dict[str, int] = {}  # truth person -> persons.id
    next_record = itertools.count(1)

    def jobs() -> Iterator[list[Job]]:
        batch: list[Job] = []
        for record in generate_population(persons=persons, sources=SOURCES, seed=seed):
            person_id = people.get(record.truth_person)
            held = person_id is not None and len(result.held_out) < hold_out
            if held and rng.random() < share:
                result.held_out.append(record)
                continue
            created = person_id is None
            if person_id is None:
                person_id = people[record.truth_person] = len(people) + 1
            if write:
                batch.append((record, person_id, next(next_record), created))
                if len(batch) >= JOB_SIZE:
                    yield batch
                    batch = []
        if batch:
            yield batch

    started = time.perf_counter()
    if not write:
        for _ in jobs():
            pass
        result.persons, result.truth = len(people), people
        result.seconds = time.perf_counter() - started
        return result

    now = datetime.now(UTC)
    # persons.id -> [name, sex, birth_date, address, id_sealed, phone_sealed]
    newest: dict[int, list[Any]] = {}
    id_owner: dict[str, int] = {}
    records: list[tuple[Any, ...]] = []
    identifiers: list[tuple[Any, ...]] = []
    expected = persons * RECORDS_PER_PERSON
    conn: psycopg.Connection[Any] = psycopg.connect(libpq_url(url))
    # Foreign keys are checked by triggers; replica mode skips them while persons (written last,
    # once each person's newest values are known) are missing. Checked after the load.
    conn.execute("SET session_replication_role = replica")
    writer = CopyWriter(conn)

    def consume(built: Built) -> None:
        nonlocal records, identifiers
        rows, locals_, claims, updates, fixes = built
        records.extend(rows)
        identifiers.extend(locals_)
        for name, count in fixes.items():
            setattr(result.fixes, name, getattr(result.fixes, name) + count)
        for person_id, *values in updates:  # refresh_person: newest values win
            known = newest.get(person_id)
            if known is None:
                newest[person_id] = values
            else:
                known[0] = values[0]
                for i in range(1, 6):
                    known[i] = values[i] or known[i]
        # _claim_identifiers: the document number goes to the first person who registers it.
        for id_index, person_id, identifier in claims:
            owner = id_owner.get(id_index)
            if owner is None:
                id_owner[id_index] = person_id
                identifiers.append(identifier)
            elif owner != person_id:
                result.id_collisions += 1  # register() would have linked them by the ID
        if len(records) >= CHUNK:
            writer.put("person_records", RECORD_COLUMNS, records)
            writer.put("person_identifiers", IDENTIFIER_COLUMNS, identifiers)
            before = result.records
            result.records += len(records)
            result.identifiers += len(identifiers)
            records, identifiers = [], []
            if result.records // (CHUNK * 5) > before // (CHUNK * 5):
                elapsed = time.perf_counter() - started
                eta = elapsed * max(0.0, expected / result.records - 1)
                print(
                    f"  loaded {result.records:,} records of {len(people):,} persons "
                    f"in {elapsed:,.0f} s ({result.records / elapsed:,.0f}/s, ~{eta:,.0f} s left)",
                    flush=True,
                )

    source_map = {label: (s.institution_id, s.system) for label, s in sources.items()}
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=init_worker,
        initargs=(settings.secret_key, source_map, now),
    ) as pool:
        pending: deque[Future[Built]] = deque()
        for batch in jobs():
            pending.append(pool.submit(build_rows, batch))
            while len(pending) > 2 * workers:
                consume(pending.popleft().result())
        while pending:
            consume(pending.popleft().result())
    writer.put("person_records", RECORD_COLUMNS, records)
    writer.put("person_identifiers", IDENTIFIER_COLUMNS, identifiers)
    result.records += len(records)
    result.identifiers += len(identifiers)
    rows = [
        (pid, "active", None, v[0], v[1], v[2], v[4], v[5], v[3], False, None, now, now)
        for pid, v in newest.items()
    ]
    newest.clear()
    for start in range(0, len(rows), CHUNK * 5):
        writer.put("persons", PERSON_COLUMNS, rows[start : start + CHUNK * 5])
    writer.close()
    for table in ("persons", "person_records", "person_identifiers"):
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
        )
    conn.commit()
    conn.close()
    result.persons, result.truth = len(rows), people
    result.seconds = time.perf_counter() - started
    print(
        f"  loaded {result.records:,} records, {result.identifiers:,} identifiers, "
        f"{result.persons:,} persons in {result.seconds:,.0f} s",
        flush=True,
    )
    check_integrity(url)
    started = time.perf_counter()
    with psycopg.connect(libpq_url(url), autocommit=True) as vac:
        vac.execute("VACUUM (ANALYZE) persons, person_records, person_identifiers")
    result.vacuum_seconds = time.perf_counter() - started
    print(f"  VACUUM (ANALYZE) in {result.vacuum_seconds:,.0f} s", flush=True)
    return result


# The row builders run in worker processes: what register() computes for one record.
Job = tuple[PopulationRecord, int, int, bool]  # record, persons.id, person_records.id, created
Built = tuple[
    list[tuple[Any, ...]],  # person_records rows
    list[tuple[Any, ...]],  # person_identifiers rows of the local numbers
    list[tuple[str, int, tuple[Any, ...]]],  # (ID index, persons.id, identifier row) to claim
    list[tuple[Any, ...]],  # (persons.id, name, sex, birth, address, id sealed, phone sealed)
    dict[str, int],  # input corrections
]
_worker: dict[str, Any] = {}


def init_worker(secret: str, sources: dict[str, tuple[int, str]], now: datetime) -> None:
    _worker["settings"] = Settings(
        environment="test", database_url="", secret_key=secret, log_json=False
    )
    _worker["sources"] = sources
    _worker["now"] = now


def build_rows(jobs: Sequence[Job]) -> Built:
    """The rows ``register()`` stores for these records (as if each had been created/matched)."""
    settings: Settings = _worker["settings"]
    now: datetime = _worker["now"]
    fixes = Fixes()
    rows: list[tuple[Any, ...]] = []
    locals_: list[tuple[Any, ...]] = []
    claims: list[tuple[str, int, tuple[Any, ...]]] = []
    updates: list[tuple[Any, ...]] = []
    for record, person_id, record_id, created in jobs:
        checked = registration_in(record, record.record_id, fixes)
        if checked is None:
            continue
        data, (id_type, number, resident) = checked
        institution_id, system = _worker["sources"][record.source]
        birth = resident.birth_date if resident else data.birth_date
        sex = resident.sex if resident else (data.sex if data.sex in ("1", "2") else None)
        names = name_features(data.name)
        id_index = blind_index(settings, "id", f"{id_type}:{number}") if number else None
        phone = normalize_phone(data.phone or "")
        id_sealed = seal_value(settings, "id", number) if number else None
        phone_sealed = seal_value(settings, "phone", phone) if phone else None
        rows.append(
            (
                record_id, person_id, institution_id, system, data.identifier.value, data.name,
                names.pinyin, names.surname_pinyin, sex, birth, birth.year if birth else None,
                id_type, id_sealed, id_index, number is not None, number[-4:] if number else None,
                phone_sealed, blind_index(settings, "phone", phone) if phone else None,
                data.address, None, "created" if created else "matched",
                None if created else 1.0, LOAD_RULE_SET, False, now, now,
            )
        )  # fmt: skip
        updates.append((person_id, data.name, sex, birth, data.address, id_sealed, phone_sealed))
        local = data.identifier.value
        locals_.append(
            (
                person_id, system, seal_value(settings, "identifier", local),
                registration.identifier_index(settings, system, local), record_id, now,
            )
        )  # fmt: skip
        if number and id_index:
            id_system = registration.document_system(id_type or "01")
            index = registration.identifier_index(settings, id_system, number)
            assert index == id_index, "identifier_index disagrees with the record's ID index"
            identifier = (
                person_id, id_system, seal_value(settings, "identifier", number), index,
                record_id, now,
            )  # fmt: skip
            claims.append((id_index, person_id, identifier))
    return rows, locals_, claims, updates, asdict(fixes)


def check_integrity(url: str) -> None:
    """The foreign keys skipped during the load hold."""
    checks = {
        "records without person": "SELECT count(*) FROM person_records r "
        "WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.id = r.person_id)",
        "identifiers without person": "SELECT count(*) FROM person_identifiers i "
        "WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.id = i.person_id)",
        "identifiers without record": "SELECT count(*) FROM person_identifiers i "
        "WHERE NOT EXISTS (SELECT 1 FROM person_records r WHERE r.id = i.record_id)",
    }
    with psycopg.connect(libpq_url(url)) as conn:
        for label, sql in checks.items():
            row = conn.execute(sql).fetchone()
            if row is None or row[0]:
                raise SystemExit(f"integrity check failed: {label}: {row}")


# Probes ---------------------------------------------------------------------------------------
def new_person_records(seed: int, count: int) -> Iterator[PopulationRecord]:
    """First records of the persons of another population (other seed): new persons."""
    seen: set[str] = set()
    for record in generate_population(persons=count * 2 + 100, sources=SOURCES, seed=seed):
        if record.truth_person not in seen:
            seen.add(record.truth_person)
            yield record


def make_probes(
    engine: Engine,
    settings: Settings,
    sources: dict[str, Source],
    load: LoadResult,
    *,
    seed: int,
    new_needed: int,
    tag: str,
) -> tuple[list[Probe], list[Probe]]:
    """(held-out records of loaded persons, records of new persons), as API inputs."""
    fixes = load.fixes
    existing = []
    for record in load.held_out:
        checked = registration_in(record, f"{record.record_id}.{tag}", fixes)
        if checked is not None:
            source, truth = sources[record.source], load.truth[record.truth_person]
            existing.append(Probe(record, checked[0], source, True, truth))
    fresh: list[Probe] = []
    candidates = new_person_records(seed, new_needed + 200)
    while len(fresh) < new_needed:
        batch = []
        for record in itertools.islice(candidates, new_needed - len(fresh) + 20):
            checked = registration_in(record, f"N{record.record_id}.{tag}", fixes)
            if checked is not None:
                batch.append(Probe(record, checked[0], sources[record.source], False, None))
        if not batch:
            break
        taken = loaded_id_indexes(engine, settings, batch)
        fresh.extend(p for p in batch if id_index_of(settings, p.data) not in taken)
    return existing, fresh[:new_needed]


def id_index_of(settings: Settings, data: RegistrationIn) -> str | None:
    id_type, number, _ = registration.check_documents(data)
    if not number:
        return None
    return blind_index(settings, "id", f"{id_type}:{number}")


def loaded_id_indexes(engine: Engine, settings: Settings, probes: Sequence[Probe]) -> set[str]:
    """ID indexes of ``probes`` that a loaded person already has (new persons must not)."""
    wanted = [i for p in probes if (i := id_index_of(settings, p.data))]
    if not wanted:
        return set()
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT value_index FROM person_identifiers "
                "WHERE system = :s AND value_index = ANY(:v)"
            ),
            {"s": RESIDENT_ID_SYSTEM, "v": wanted},
        )
        return {str(r[0]) for r in rows}


# Measurements ---------------------------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class MatchResult:
    latencies_ms: list[float] = field(default_factory=list)
    existing_ms: list[float] = field(default_factory=list)
    new_ms: list[float] = field(default_factory=list)
    with_id_ms: list[float] = field(default_factory=list)
    without_id_ms: list[float] = field(default_factory=list)
    candidates: list[int] = field(default_factory=list)
    at_limit: int = 0
    top_is_truth: int = 0
    existing: int = 0
    new_with_certain: int = 0
    new: int = 0
    seconds: float = 0.0


def run_matches(engine: Engine, settings: Settings, probes: Sequence[Probe]) -> MatchResult:
    """Time ``service.match`` per probe, single-threaded, one transaction each."""
    result = MatchResult()
    started = time.perf_counter()
    for probe in probes:
        t0 = time.perf_counter_ns()
        with Session(engine) as session, session.begin():
            answer = identity_service.match(session, settings=settings, data=probe.data)
        ms = (time.perf_counter_ns() - t0) / 1e6
        result.latencies_ms.append(ms)
        (result.existing_ms if probe.existing else result.new_ms).append(ms)
        (result.with_id_ms if probe.data.id_number else result.without_id_ms).append(ms)
        if probe.existing:
            result.existing += 1
            result.top_is_truth += bool(answer) and answer[0].person_id == probe.true_person_id
        else:
            result.new += 1
            result.new_with_certain += any(c.certain for c in answer)
    result.seconds = time.perf_counter() - started
    return result


def count_candidates(
    engine: Engine, settings: Settings, probes: Sequence[Probe], result: MatchResult
) -> None:
    """The records ``match`` scored for each probe: its blocking query, run again (untimed)."""
    with Session(engine) as session:
        for probe in probes:
            data = probe.data
            id_type, number, resident = registration.check_documents(data)
            birth = resident.birth_date if resident else data.birth_date
            names = name_features(data.name)
            phone = normalize_phone(data.phone or "")
            rows = repository.candidate_records(
                session,
                id_index=blind_index(settings, "id", f"{id_type}:{number}") if number else None,
                phone_index=blind_index(settings, "phone", phone) if phone else None,
                name_pinyin=names.pinyin,
                surname_pinyin=names.surname_pinyin,
                birth_date=birth,
            )
            result.candidates.append(len(rows))
            result.at_limit += len(rows) >= 200
            session.rollback()
            session.expunge_all()


@dataclass
class RegisterResult:
    latencies_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def run_registrations(
    engine: Engine, settings: Settings, probes: Sequence[Probe], workers: int
) -> RegisterResult:
    """The real ``service.register`` from ``workers`` threads, one transaction per call."""
    result = RegisterResult()
    lock = threading.Lock()

    def one(probe: Probe) -> None:
        t0 = time.perf_counter_ns()
        try:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                answer = identity_service.register(
                    session, settings=settings, actor=probe.source.actor, data=probe.data
                )
                outcome, person_id = answer.outcome, answer.person.id
        except Exception as error:
            with lock:
                result.errors[type(error).__name__] += 1
            return
        ms = (time.perf_counter_ns() - t0) / 1e6
        if probe.existing:
            verdict = (
                "existing: linked to the true person"
                if outcome == "matched" and person_id == probe.true_person_id
                else f"existing: {outcome}"
                if outcome != "matched"
                else "existing: linked to a wrong person"
            )
        else:
            verdict = f"new: {outcome}"
        with lock:
            result.latencies_ms.append(ms)
            result.outcomes[outcome] += 1
            result.verdicts[verdict] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, probes))
    result.seconds = time.perf_counter() - started
    return result


def profile_matches(
    engine: Engine, settings: Settings, probes: Sequence[Probe], path: Path
) -> None:
    """pyinstrument over an extra (untimed) pass of the match probes."""
    try:
        profiler_class = importlib.import_module("pyinstrument").Profiler
    except ImportError:
        print("pyinstrument is not installed: .venv/bin/pip install pyinstrument", file=sys.stderr)
        return
    profiler = profiler_class(interval=0.0005)
    profiler.start()
    run_matches(engine, settings, probes)
    profiler.stop()
    path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"  profile written to {path}", flush=True)


# Report ---------------------------------------------------------------------------------------
def machine(engine: Engine) -> dict[str, str]:
    """What the numbers were measured on."""
    info: dict[str, str] = {"nproc": str(len(os.sched_getaffinity(0)))}
    meminfo = Path("/proc/meminfo").read_text()
    kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))  # type: ignore[union-attr]
    info["ram"] = f"{kib / 1024 / 1024:.1f} GiB"
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    info["cpu"] = model.group(1).strip() if model else platform.processor() or "unknown"
    info["kernel"] = f"{platform.system()} {platform.release()}"
    info["python"] = platform.python_version()
    with engine.connect() as conn:
        info["postgresql"] = str(conn.execute(text("SHOW server_version")).scalar_one())
        for setting in ("shared_buffers", "work_mem", "synchronous_commit"):
            info[setting] = str(conn.execute(text(f"SHOW {setting}")).scalar_one())
    return info


def ms(value: float) -> str:
    return f"{value:.1f} ms"


def report(
    *,
    args: argparse.Namespace,
    command: str,
    info: dict[str, str],
    load: LoadResult,
    matches: MatchResult,
    registrations: RegisterResult,
    loads: tuple[tuple[float, float, float], tuple[float, float, float]],
    loaded_now: bool,
    table_sizes: dict[str, str],
) -> str:
    """The Markdown section (heading included)."""
    lat = matches.latencies_ms
    p95 = percentile(lat, 95)
    met = "met" if p95 < TARGET_P95_MS else "not met"
    mean_candidates = sum(matches.candidates) / len(matches.candidates) if matches.candidates else 0
    reg = registrations.latencies_ms
    per_second = len(reg) / registrations.seconds if registrations.seconds else 0.0
    fixes = load.fixes
    load_line = (
        f"{load.seconds / 60:.1f} min (generate + seal + index + COPY, "
        f"{load.records / load.seconds:,.0f} records/s), then VACUUM (ANALYZE) "
        f"{load.vacuum_seconds:.0f} s"
        if loaded_now
        else "reused from an earlier run (`--skip-load`)"
    )

    def group(values: list[float]) -> str:
        if not values:
            return "-"
        return (
            f"{ms(percentile(values, 50))} / {ms(percentile(values, 95))} / "
            f"{ms(percentile(values, 99))} (n={len(values)})"
        )

    verdicts = ", ".join(f"{k} {v}" for k, v in sorted(registrations.verdicts.items()))
    errors = ", ".join(f"{k} {v}" for k, v in registrations.errors.items()) or "none"
    rows = [
        ("persons loaded (one per true person)", f"{load.persons:,}"),
        ("records / identifiers loaded", f"{load.records:,} / {load.identifiers:,}"),
        ("table sizes (with indexes)", ", ".join(f"{k} {v}" for k, v in table_sizes.items())),
        ("bulk load", load_line),
        (
            "match queries (single thread, one transaction each)",
            f"{len(lat):,}: {matches.existing:,} held-out records of loaded persons, "
            f"{matches.new:,} new persons; {WARMUP} warm-up queries before, not counted",
        ),
        ("**match latency p50**", f"**{ms(percentile(lat, 50))}**"),
        ("**match latency p95**", f"**{ms(p95)}**"),
        ("match latency p99 / max", f"{ms(percentile(lat, 99))} / {ms(max(lat))}"),
        ("match mean", ms(sum(lat) / len(lat))),
        ("match p50 / p95 / p99, loaded persons", group(matches.existing_ms)),
        ("match p50 / p95 / p99, new persons", group(matches.new_ms)),
        ("match p50 / p95 / p99, input with ID number", group(matches.with_id_ms)),
        ("match p50 / p95 / p99, input without ID number", group(matches.without_id_ms)),
        (
            "candidate records scored per match (mean / p95 / max)",
            f"{mean_candidates:.1f} / {percentile(matches.candidates, 95):.0f} / "
            f"{max(matches.candidates, default=0)} ({matches.at_limit} at the 200 limit)",
        ),
        (
            "match: best candidate is the true person (loaded persons)",
            f"{matches.top_is_truth / max(1, matches.existing):.1%}",
        ),
        (
            'match: a "certain" candidate for a new person',
            f"{matches.new_with_certain} of {matches.new}",
        ),
        (
            f"registrations ({args.workers} threads, one transaction each)",
            f"{len(reg) + sum(registrations.errors.values()):,} in {registrations.seconds:.1f} s",
        ),
        ("**registration throughput**", f"**{per_second:.1f} registrations/s**"),
        (
            "registration latency p50 / p95",
            f"{ms(percentile(reg, 50))} / {ms(percentile(reg, 95))}",
        ),
        (
            "registration outcomes",
            ", ".join(
                f"{k} {registrations.outcomes.get(k, 0)}" for k in ("created", "matched", "review")
            )
            + f"; errors: {errors}",
        ),
        ("registration outcomes against the truth", verdicts),
    ]
    table = "\n".join(["| measure | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)])
    today = datetime.now(UTC).date().isoformat()
    load_start, load_end = loads
    return f"""{SECTION}

Run on {today} with `{command}`.

Machine (the benchmark, its client threads and the server share it):

- {info["nproc"]} CPUs (nproc), {info["ram"]} RAM, {info["cpu"]}; {info["kernel"]}; Python
  {info["python"]}
- PostgreSQL {info["postgresql"]} on the same machine, stock settings (shared_buffers
  {info["shared_buffers"]}, work_mem {info["work_mem"]}, synchronous_commit
  {info["synchronous_commit"]})
- load average at the start {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}, at the
  end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}: other processes shared the machine,
  so the times are indicative

**Target: p95 match latency under {TARGET_P95_MS:.0f} ms: {met}** (p95 {ms(p95)}).

{table}

How it was measured (`bench/empi_online.py`):

- **The bulk load bypasses matching.** `generate_population(persons={args.persons:,},
  sources={SOURCES}, seed={args.seed})` is written with `COPY` as the rows `register()` would
  store (blind indexes, SM4-GCM sealed ID numbers and phones, pinyin, local and ID-number
  identifiers, the person's newest values), one `Person` per true person: the database holds the
  ground truth, not the result of a matching run, and it writes no audit entries. Foreign keys
  are skipped during the `COPY` (`session_replication_role = replica`) and checked afterwards.
  Inputs the API refuses were corrected as a client would after a 422: invalid ID numbers
  (mistyped or transposed digits) left out: {fixes.id_dropped:,}; birth dates contradicting a
  valid ID number left out: {fixes.birth_dropped:,}; records refused: {fixes.refused:,}.
  {len(load.held_out):,} records of persons who already had a loaded record were held out of the
  load: they are the "loaded persons" inputs below, each with the generator's own errors.
- **Match latency** is the wall time of one `with Session(engine) as s, s.begin():
  service.match(...)` (pool checkout, BEGIN, every query, scoring, COMMIT), single-threaded, over
  {len(lat):,} inputs: held-out records of loaded persons and first records of persons of another
  population (`seed={args.seed + 1}`; any whose ID number a loaded person has was skipped).
  Candidate counts come from running `repository.candidate_records` again for each input
  afterwards (untimed).
- **Registration throughput** is `service.register` with new local numbers (half held-out
  records of loaded persons, half new persons, shuffled), actor a client principal of the
  record's source institution, from {args.workers} threads with one transaction per call
  (advisory locks, matching, inserts, the hash-chained audit entry, COMMIT). "linked to the true
  person" means `matched` to the person the record's true person was loaded as.
"""


def write_doc(section: str) -> None:
    """Replace this benchmark's section of docs/benchmarks.md (or append it); keep the rest,
    including the hand-written ``### Findings`` subsection of the section, if any."""
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
    print(f"  wrote the section to {DOC}", flush=True)


def table_sizes(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {
            table: str(
                conn.execute(
                    text("SELECT pg_size_pretty(pg_total_relation_size(CAST(:t AS regclass)))"),
                    {"t": table},
                ).scalar_one()
            )
            for table in ("persons", "person_records", "person_identifiers")
        }


# Main -----------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--registrations", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--load-workers",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="processes building the rows of the bulk load (default: the CPUs)",
    )
    parser.add_argument(
        "--database-url",
        help="an existing (empty, or loaded with --keep) database; default: a fresh "
        "hc_bench_<random> database on --server-url, dropped at the end unless --keep",
    )
    parser.add_argument("--server-url", default=SERVER_URL)
    parser.add_argument("--keep", action="store_true", help="keep the created database")
    parser.add_argument(
        "--skip-load", action="store_true", help="the --database-url database is already loaded"
    )
    parser.add_argument("--profile", type=Path, help="pyinstrument text report of the matches")
    parser.add_argument("--write-doc", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.skip_load and not args.database_url:
        parser.error("--skip-load needs --database-url")
    return args


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    if args.database_url:
        yield args.database_url
        return
    url, name = create_database(args.server_url)
    print(f"created database {name}", flush=True)
    try:
        yield url
    finally:
        if args.keep:
            print(f"kept database: {url}", flush=True)
        else:
            drop_database(args.server_url, name)
            print(f"dropped database {name}", flush=True)


def shuffled(items: Iterable[Probe], seed: int) -> list[Probe]:
    out = list(items)
    random.Random(seed).shuffle(out)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = ".venv/bin/python bench/empi_online.py " + shlex.join(
        sys.argv[1:] if argv is None else list(argv)
    )
    load_start = os.getloadavg()
    settings = Settings(environment="test", database_url="", secret_key=SECRET, log_json=False)
    q_loaded, r_loaded = args.queries // 2, args.registrations // 2
    q_new, r_new = args.queries - q_loaded, args.registrations - r_loaded
    tag = uuid.uuid4().hex[:6]
    with database(args) as url:
        settings = settings.model_copy(update={"database_url": url})
        engine = make_engine(url, pool_size=args.workers + 2, max_overflow=args.workers)
        try:
            if not args.skip_load:
                print("migrating", flush=True)
                migrate.upgrade(url)
            labels = [f"H{i + 1:02d}" for i in range(SOURCES)]
            sources = prepare(engine, labels)
            print(
                f"{'replaying' if args.skip_load else 'loading'} {args.persons:,} persons",
                flush=True,
            )
            load = bulk_load(
                url,
                settings,
                sources,
                persons=args.persons,
                seed=args.seed,
                hold_out=q_loaded + r_loaded,
                write=not args.skip_load,
                workers=args.load_workers,
            )
            if args.skip_load:
                with engine.connect() as conn:
                    load.records = int(
                        conn.execute(text("SELECT count(*) FROM person_records")).scalar_one()
                    )
                    load.identifiers = int(
                        conn.execute(text("SELECT count(*) FROM person_identifiers")).scalar_one()
                    )
            existing, fresh = make_probes(
                engine,
                settings,
                sources,
                load,
                seed=args.seed + 1,
                new_needed=q_new + r_new + WARMUP,
                tag=tag,
            )
            existing = shuffled(existing, args.seed)
            warmup, fresh = fresh[:WARMUP], fresh[WARMUP:]
            share = len(existing) * q_loaded // max(1, q_loaded + r_loaded)
            match_probes = shuffled(existing[:share] + fresh[:q_new], args.seed + 2)
            register_probes = shuffled(existing[share:] + fresh[q_new:], args.seed + 3)

            print(f"match latency: {WARMUP} warm-up + {len(match_probes):,} queries", flush=True)
            run_matches(engine, settings, warmup)
            matches = run_matches(engine, settings, match_probes)
            count_candidates(engine, settings, match_probes, matches)
            print(
                f"  p50 {percentile(matches.latencies_ms, 50):.1f} ms, "
                f"p95 {percentile(matches.latencies_ms, 95):.1f} ms",
                flush=True,
            )
            if args.profile:
                profile_matches(engine, settings, match_probes, args.profile)

            print(
                f"registrations: {len(register_probes):,} from {args.workers} threads", flush=True
            )
            registrations = run_registrations(engine, settings, register_probes, args.workers)
            print(
                f"  {len(registrations.latencies_ms) / registrations.seconds:.1f}/s",
                flush=True,
            )
            section = report(
                args=args,
                command=command,
                info=machine(engine),
                load=load,
                matches=matches,
                registrations=registrations,
                loads=(load_start, os.getloadavg()),
                loaded_now=not args.skip_load,
                table_sizes=table_sizes(engine),
            )
        finally:
            engine.dispose()
    print()
    print(section)
    if args.write_doc:
        write_doc(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
