"""Record timeline benchmark: a resident's full record timeline on PostgreSQL.

The issue's target: with 1,000,000 residents on PostgreSQL, a resident's full record timeline
loads in under 100 ms.

What it does:

1. Creates a fresh database ``hc_bench_<random>`` on the local PostgreSQL (or uses
   ``--database-url``), migrates it with the real migrations and synchronises permissions;
   creates a community health centre (which keeps every record), ``--hospitals`` hospitals and
   a public-health worker of the centre.
2. Fills it with ``INSERT ... SELECT generate_series``: ``--persons`` persons, one health record
   each (kept by the centre), and ``--events`` record-timeline rows spread over the persons
   (about ``events / persons`` each, every kind, over ten years, from the centre and the
   hospitals, inserted in random person order as they arrive in life), plus ``--heavy``
   residents with ``--heavy-events`` entries each (a chronic patient seen every week). The
   timeline index is dropped for the load and built again afterwards, foreign keys are
   checked once by the rebuilt constraints; then ``VACUUM (ANALYZE)``.
3. Times the real service call ``records.service.timeline.timeline()`` (the shared-record access
   check ``check_read`` with its audit entry, and the first page of ``--limit`` entries, newest
   first) for ``--queries`` random residents and ``--queries`` // 10 heavy ones, each call in its
   own transaction as a request is (the time includes BEGIN and COMMIT), single-threaded. A
   filtered page (``kinds=followup,exam``) is timed too. Prints p50/p95/p99/max, the query plan
   of one call and the command line.

Run (about 10 minutes on 2 CPUs for the full size)::

    .venv/bin/python bench/records_timeline.py
    .venv/bin/python bench/records_timeline.py --persons 20000 --events 200000 --queries 200

``--keep`` keeps the database; ``--database-url URL --skip-load`` reuses it.
"""

from __future__ import annotations

import argparse
import platform
import random
import shlex
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from stdnum.cn import uscc as uscc_number

from healthcard.accounts import service as accounts_service
from healthcard.accounts.schemas import InstitutionIn
from healthcard.core import migrate
from healthcard.core.db import make_engine
from healthcard.core.principal import Principal, system_principal
from healthcard.models.clinical import EVENT_KINDS
from healthcard.records.service import timeline

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
TEN_YEARS = 10 * 365 * 86_400
# Timeline rows arrive in random person order (g times a large prime, modulo the persons), each
# at a pseudo-random time in the last ten years, of every kind, from every institution.
EVENTS_SQL = (
    "INSERT INTO record_events (person_id, kind, occurred_at, title, institution_id, source, ref,"
    " created_at)"
    " SELECT 1 + (g * 7919::bigint) % :n,"
    " (CAST(:kinds AS text[]))[1 + g % cardinality(CAST(:kinds AS text[]))],"
    " CAST(:now AS timestamptz) - ((g * 2654435761::bigint) % :span) * interval '1 second',"
    " '记录 ' || g,"
    " (CAST(:institutions AS int[]))[1 + (g / 7) % cardinality(CAST(:institutions AS int[]))],"
    " 'bench', 'b/' || g, now()"
    " FROM generate_series(1, :events) g"
)
# A chronic patient: one entry a week for years.
HEAVY_SQL = (
    "INSERT INTO record_events (person_id, kind, occurred_at, title, institution_id, source, ref,"
    " created_at)"
    " SELECT p, (CAST(:kinds AS text[]))[1 + e % cardinality(CAST(:kinds AS text[]))],"
    " CAST(:now AS timestamptz) - e * interval '7 days', '随访 ' || e,"
    " (CAST(:institutions AS int[]))[1 + e % cardinality(CAST(:institutions AS int[]))],"
    " 'bench', 'h/' || e, now()"
    " FROM generate_series(1, :heavy) p, generate_series(1, :per) e"
)


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


def make_uscc(serial: int) -> str:
    body = f"12370602{serial + 72_000_000:09d}"
    return body + uscc_number.calc_check_digit(body)


def prepare(engine: Engine, hospitals: int) -> tuple[int, list[int]]:
    """Permissions; the community centre and the hospitals: (centre id, hospital ids)."""
    actor = system_principal("bench")
    ids = []
    with Session(engine) as session, session.begin():
        accounts_service.sync_permissions(session)
        for n in range(hospitals + 1):
            institution = accounts_service.create_institution(
                session,
                actor=actor,
                data=InstitutionIn(
                    uscc=make_uscc(n),
                    name="基准社区卫生服务中心" if n == 0 else f"基准医院{n}",
                    kind="community_health_centre" if n == 0 else "hospital",
                    division_code="370602",
                ),
            )
            ids.append(institution.id)
    return ids[0], ids[1:]


def timed(label: str, step: Callable[[], object]) -> None:
    started = time.perf_counter()
    step()
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)


def load(engine: Engine, args: argparse.Namespace, centre: int, hospitals: list[int]) -> None:
    """Persons, their records and the timeline rows, in bulk."""
    arrays = {"kinds": list(EVENT_KINDS), "institutions": [centre, *hospitals], "now": NOW}
    n, events, heavy, per = args.persons, args.events, args.heavy, args.heavy_events
    with engine.begin() as conn:
        conn.execute(text("SET session_replication_role = replica"))  # FKs checked below
        timed(
            f"{n:,} persons",
            lambda: conn.execute(
                text(
                    "INSERT INTO persons (id, status, name, sex, birth_date, provisional,"
                    " created_at, updated_at)"
                    " SELECT g, 'active', '居民' || g, (1 + g % 2)::text,"
                    " DATE '1940-01-01' + (g % 29000), false, now(), now()"
                    " FROM generate_series(1, :n) g"
                ),
                {"n": n},
            ),
        )
        conn.execute(text("SELECT setval('persons_id_seq', :n)"), {"n": n})
        timed(
            f"{n:,} health records",
            lambda: conn.execute(
                text(
                    "INSERT INTO health_records (id, record_number, person_id, institution_id,"
                    " status, area_code, form, established_on, established_by, created_at,"
                    " updated_at)"
                    " SELECT g, a || lpad((1 + g % 99999)::text, 5, '0'), g, :centre,"
                    " 'active', a, '{}', DATE '2020-01-01', 'bench', now(), now()"
                    " FROM generate_series(1, :n) g,"
                    " LATERAL (SELECT '370602' || lpad((1 + g / 99999)::text, 3, '0')"
                    " || '001' AS a) area"
                ),
                {"n": n, "centre": centre},
            ),
        )
        conn.execute(text("SELECT setval('health_records_id_seq', :n)"), {"n": n})
        conn.execute(text("DROP INDEX ix_record_events_person_time"))
        timed(
            f"{events:,} timeline rows",
            lambda: conn.execute(
                text(EVENTS_SQL),
                {**arrays, "n": n, "events": events, "span": TEN_YEARS},
            ),
        )
        timed(
            f"{heavy:,} heavy residents x {args.heavy_events:,}",
            lambda: conn.execute(text(HEAVY_SQL), {**arrays, "heavy": heavy, "per": per}),
        )
        conn.execute(text("SET session_replication_role = DEFAULT"))
        timed(
            "timeline index",
            lambda: conn.execute(
                text(
                    "CREATE INDEX ix_record_events_person_time"
                    " ON record_events (person_id, occurred_at, id)"
                )
            ),
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        timed("VACUUM (ANALYZE)", lambda: conn.execute(text("VACUUM (ANALYZE)")))


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(
    engine: Engine, actor: Principal, people: Sequence[int], limit: int, kinds: list[str] | None
) -> tuple[list[float], int]:
    """Milliseconds per call of ``timeline()`` in its own transaction; entries returned."""
    times, entries = [], 0
    for person_id in people:
        started = time.perf_counter()
        with Session(engine) as session, session.begin():
            page = timeline.timeline(
                session, actor=actor, person_id=person_id, kinds=kinds, limit=limit
            )
            entries += len(page.events)
        times.append((time.perf_counter() - started) * 1000)
    return times, entries


def report(label: str, times: Sequence[float], entries: int) -> str:
    return (
        f"| {label} | {len(times):,} | {entries / len(times):.1f} | "
        f"{statistics.median(times):.2f} | {percentile(times, 0.95):.2f} | "
        f"{percentile(times, 0.99):.2f} | {max(times):.2f} |"
    )


def explain(engine: Engine, person_id: int, limit: int) -> str:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM record_events WHERE person_id = :p"
                " ORDER BY occurred_at DESC, id DESC LIMIT :l"
            ),
            {"p": person_id, "l": limit + 1},
        )
        return "\n".join(str(r[0]) for r in rows)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--server-url", default=DEFAULT_SERVER)
    parser.add_argument("--database-url", help="use this database instead of a fresh one")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the fresh database")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--heavy", type=int, default=100)
    parser.add_argument("--heavy-events", type=int, default=1_000)
    parser.add_argument("--hospitals", type=int, default=5)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--limit", type=int, default=50, help="entries per page")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


def worker(engine: Engine, centre: int) -> Principal:
    """A public-health worker of the centre keeping the records (access basis ``own``)."""
    with Session(engine) as session:
        staff_id = session.execute(text("SELECT coalesce(max(id), 0) + 1 FROM staff_users")).one()
    return Principal(
        kind="staff",
        id=int(staff_id[0]),
        name="基准公卫人员",
        institution_id=centre,
        roles=frozenset({"public_health_worker"}),
        permissions=frozenset({"records.read"}),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    url, name = args.database_url, None
    if url is None:
        url, name = create_database(args.server_url)
        print(f"created database {name}", flush=True)
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        if args.skip_load:
            with engine.connect() as conn:
                ids = [r[0] for r in conn.execute(text("SELECT id FROM institutions ORDER BY id"))]
            centre, hospitals = ids[0], ids[1:]
        else:
            centre, hospitals = prepare(engine, args.hospitals)
            print("loading", flush=True)
            load(engine, args, centre, hospitals)
        run(engine, args, centre)
    finally:
        if name is not None and not args.keep:
            drop_database(args.server_url, name)
    return 0


def run(engine: Engine, args: argparse.Namespace, centre: int) -> None:
    rng = random.Random(args.seed)
    actor = worker(engine, centre)
    with engine.connect() as conn:
        counts = conn.execute(
            text("SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM record_events)")
        ).one()
    regular = [rng.randint(args.heavy + 1, args.persons) for _ in range(args.queries)]
    heavy = [rng.randint(1, max(args.heavy, 1)) for _ in range(max(args.queries // 10, 1))]
    measure(engine, actor, regular[:50], args.limit, None)  # warm the connection pool
    rows = [
        report("resident, all kinds", *measure(engine, actor, regular, args.limit, None)),
        report(
            "resident, followup+exam",
            *measure(engine, actor, regular, args.limit, ["followup", "exam"]),
        ),
    ]
    if args.heavy:
        rows.append(
            report(
                f"heavy resident ({args.heavy_events:,} entries), first page",
                *measure(engine, actor, heavy, args.limit, None),
            )
        )
    print()
    print(f"persons {counts[0]:,}; timeline rows {counts[1]:,}; page size {args.limit}")
    print(f"machine: {platform.node()} {platform.machine()}, Python {platform.python_version()}")
    print()
    print("| timeline() | calls | entries/call | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print()
    print("plan of one resident's page:")
    print(explain(engine, regular[0], args.limit))
    print()
    print("command: .venv/bin/python bench/records_timeline.py " + shlex.join(sys.argv[1:]))


if __name__ == "__main__":
    sys.exit(main())
