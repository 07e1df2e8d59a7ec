"""Task-list benchmark: the overdue list of one institution on PostgreSQL.

The issue's target: with 1,000,000 residents and 5,000,000 follow-ups on PostgreSQL, the overdue
list of one institution (about 100,000 residents) loads in under 200 ms.

What it does:

1. Creates a fresh database ``hc_bench_<random>`` (or uses ``--database-url``), migrates it with
   the real migrations; creates ``--institutions`` community health centres with
   ``--teams`` doctor teams each.
2. Fills it with ``INSERT ... SELECT generate_series``: ``--persons`` persons with one health
   record each (spread evenly over the centres and their teams, a village doctor's share
   without a team), one programme enrolment each (every programme), and ``--followups``
   follow-ups: per enrolment all but one done in the past, the last one due between 90 days ago
   and 90 days ahead (about half of them overdue). If the timeline table exists, one timeline
   row per follow-up done. Then ``VACUUM (ANALYZE)``.
3. Times the real service call ``programmes.service.task_list()`` (first page of 50 overdue
   visits oldest first, the total, and the counts by programme and team) for one centre, each
   call in its own transaction as a request is, single-threaded; the same for one team and for
   the week window; and ``records.service.timeline.timeline()`` of random residents. Prints
   p50/p95/p99/max and the plan of the list query.

Run (about 10 minutes on 2 CPUs for the full size)::

    .venv/bin/python -m bench.records_overdue
    .venv/bin/python -m bench.records_overdue --persons 50000 --followups 250000 --queries 100
"""

from __future__ import annotations

import argparse
import platform
import random
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from bench.records_timeline import create_database, drop_database, make_uscc, percentile, timed
from healthcard.accounts import service as accounts_service
from healthcard.accounts.schemas import InstitutionIn
from healthcard.core import migrate
from healthcard.core.db import make_engine
from healthcard.core.principal import Principal, system_principal
from healthcard.models.programme import PROGRAMMES
from healthcard.records.programmes import service as programmes
from healthcard.records.programmes.service.common import today
from healthcard.records.service import timeline

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# Person g lives at centre (g % centres), in team (g / centres) % (teams + 1) of it (the last
# "team" is none: a village doctor's residents). Follow-up k of enrolment g is done 90 days apart
# going back from the current one, which is due between 90 days ago and 90 days ahead.
FOLLOWUPS_SQL = (
    "INSERT INTO programme_followups (enrolment_id, person_id, record_id, programme, visit_code,"
    " institution_id, team_id, responsible_staff_id, due_date, status, done_on, form,"
    " hospital_measurements, classification, referral, emergency, referral_reasons,"
    " rule_version, performed_by, created_at, updated_at)"
    " SELECT e.id, e.person_id, e.record_id, e.programme, 'visit', e.institution_id, e.team_id,"
    " NULL, d.due, CASE WHEN k = :per THEN 'due' ELSE 'done' END,"
    " CASE WHEN k = :per THEN NULL ELSE d.due END, '{}', '[]',"
    " CASE WHEN k = :per THEN NULL ELSE (1 + (e.id + k) % 2)::text END, false,"
    " k = :per AND e.id % 97 = 0, '[]', 'nbphs-2017', 'bench', now(), now()"
    " FROM programme_enrolments e, generate_series(1, :per) k,"
    " LATERAL (SELECT CAST(:today AS date) - 90 + ((e.id::bigint * 7919) % 181)::int"
    " - (:per - k) * 90 AS due) d"
    " WHERE e.id BETWEEN :low AND :high"
)
PERSONS_SQL = (
    "INSERT INTO persons (id, status, name, sex, birth_date, provisional, created_at,"
    " updated_at) SELECT g, 'active', '居民' || g, (1 + g % 2)::text,"
    " DATE '1940-01-01' + (g % 29000), false, now(), now()"
    " FROM generate_series(1, :n) g"
)
# c: the centre (and its position k), t: the team (none for the village doctor's share).
RECORDS_SQL = (
    "INSERT INTO health_records (id, record_number, person_id, institution_id, team_id,"
    " status, area_code, form, established_on, established_by, created_at, updated_at)"
    " SELECT g, lpad(g::text, 17, '0'), g, c.id, t.id, 'active', '370602001001', '{}',"
    " DATE '2020-01-01', 'bench', now(), now()"
    " FROM generate_series(1, :n) g,"
    " LATERAL (SELECT cardinality(CAST(:centres AS int[])) AS m) s,"
    " LATERAL (SELECT (CAST(:centres AS int[]))[1 + g % s.m] AS id, g % s.m AS k) c,"
    " LATERAL (SELECT CASE WHEN (g / s.m) % (:per_centre + 1) = :per_centre THEN NULL"
    " ELSE (CAST(:teams AS int[]))[1 + c.k * :per_centre + (g / s.m) % (:per_centre + 1)]"
    " END AS id) t"
)
ENROLMENTS_SQL = (
    "INSERT INTO programme_enrolments (id, person_id, record_id, programme, status,"
    " institution_id, team_id, enrolled_on, detail, rule_version, enrolled_by, created_at)"
    " SELECT r.id, r.person_id, r.id, (CAST(:programmes AS text[]))[1 + r.id % 7],"
    " 'active', r.institution_id, r.team_id, DATE '2022-01-01', '{}', 'nbphs-2017',"
    " 'bench', now() FROM health_records r"
)
EVENTS_SQL = (
    "INSERT INTO record_events (person_id, kind, occurred_at, title, institution_id, source, ref,"
    " created_at)"
    " SELECT person_id, 'followup', done_on + time '12:00' AT TIME ZONE 'Asia/Shanghai',"
    " '随访', institution_id, 'programmes', 'followup:' || id, now()"
    " FROM programme_followups WHERE status = 'done'"
)


def prepare(engine: Engine, centres: int, teams: int) -> list[tuple[int, list[int]]]:
    """Permissions, the centres and their doctor teams: [(centre id, team ids)]."""
    actor = system_principal("bench")
    made = []
    with Session(engine) as session, session.begin():
        accounts_service.sync_permissions(session)
        for n in range(centres):
            centre = accounts_service.create_institution(
                session,
                actor=actor,
                data=InstitutionIn(
                    uscc=make_uscc(100 + n),
                    name=f"基准社区卫生服务中心{n + 1}",
                    kind="community_health_centre",
                    division_code="370602",
                ),
            )
            made.append((centre.id, []))
        session.flush()
        for centre_id, team_ids in made:
            for t in range(teams):
                team_id = session.execute(
                    text(
                        "INSERT INTO doctor_teams (institution_id, name, active, created_at)"
                        " VALUES (:i, :n, true, now()) RETURNING id"
                    ),
                    {"i": centre_id, "n": f"家庭医生团队{t + 1}"},
                ).scalar_one()
                team_ids.append(int(team_id))
    return made


def load(engine: Engine, args: argparse.Namespace, made: list[tuple[int, list[int]]]) -> None:
    """Persons, records, enrolments, follow-ups (and timeline rows), in bulk."""
    n = args.persons
    per = max(args.followups // n, 1)
    centres = [c for c, _ in made]
    teams = [t for _, ts in made for t in ts]
    params = {"n": n, "centres": centres, "teams": teams, "per_centre": args.teams}
    with engine.begin() as conn:
        conn.execute(text("SET session_replication_role = replica"))  # FKs hold by construction
        timed(f"{n:,} persons", lambda: conn.execute(text(PERSONS_SQL), params))
        conn.execute(text("SELECT setval('persons_id_seq', :n)"), params)
        timed(f"{n:,} health records", lambda: conn.execute(text(RECORDS_SQL), params))
        conn.execute(text("SELECT setval('health_records_id_seq', :n)"), params)
        kinds = {"programmes": list(PROGRAMMES)}
        timed(f"{n:,} enrolments", lambda: conn.execute(text(ENROLMENTS_SQL), kinds))
        conn.execute(text("SELECT setval('programme_enrolments_id_seq', :n)"), params)
        for index in ("due_institution", "due_team", "due_staff", "enrolment", "person", "record"):
            conn.execute(text(f"DROP INDEX ix_programme_followups_{index}"))
        step = 200_000
        for low in range(1, n + 1, step):
            conn.execute(
                text(FOLLOWUPS_SQL),
                {
                    "per": per,
                    "today": today(),
                    "low": low,
                    "high": low + step - 1,
                },
            )
        print(f"  {n * per:,} follow-ups loaded", flush=True)
        conn.execute(text("SET session_replication_role = DEFAULT"))
        timed("follow-up indexes", lambda: _indexes(conn))
        if "record_events" in inspect(conn).get_table_names():
            conn.execute(text("DROP INDEX IF EXISTS ix_record_events_person_time"))
            timed("timeline rows", lambda: conn.execute(text(EVENTS_SQL)))
            timed(
                "timeline index",
                lambda: conn.execute(
                    text(
                        "CREATE INDEX ix_record_events_person_time ON record_events"
                        " (person_id, occurred_at, id)"
                    )
                ),
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        timed("VACUUM (ANALYZE)", lambda: conn.execute(text("VACUUM (ANALYZE)")))


def _indexes(conn: object) -> None:
    """The follow-up indexes as the migration makes them (dropped for the bulk load)."""
    statements = [
        "CREATE INDEX ix_programme_followups_due_institution ON programme_followups"
        " (institution_id, due_date) INCLUDE (programme, team_id)"
        " WHERE status = 'due'",
        "CREATE INDEX ix_programme_followups_due_team ON programme_followups"
        " (team_id, due_date) INCLUDE (institution_id, programme)"
        " WHERE status = 'due'",
        "CREATE INDEX ix_programme_followups_due_staff ON programme_followups"
        " (responsible_staff_id, due_date) INCLUDE (institution_id, programme, team_id)"
        " WHERE status = 'due'",
        "CREATE INDEX ix_programme_followups_enrolment ON programme_followups"
        " (enrolment_id, due_date)",
        "CREATE INDEX ix_programme_followups_person ON programme_followups (person_id, due_date)",
        "CREATE INDEX ix_programme_followups_record ON programme_followups (record_id)",
    ]
    for statement in statements:
        conn.execute(text(statement))  # type: ignore[attr-defined]


def worker(centre: int) -> Principal:
    """A public-health worker of the centre (sees the whole institution)."""
    return Principal(
        kind="staff",
        id=1,
        name="基准公卫人员",
        institution_id=centre,
        roles=frozenset({"public_health_worker"}),
        permissions=frozenset({"programmes.read", "records.read"}),
    )


def measure(engine: Engine, calls: int, call: Callable[[Session], int]) -> tuple[list[float], int]:
    """Milliseconds per call in its own transaction (BEGIN and COMMIT included); rows seen."""
    times, rows = [], 0
    for _ in range(calls):
        started = time.perf_counter()
        with Session(engine) as session, session.begin():
            rows += call(session)
        times.append((time.perf_counter() - started) * 1000)
    return times, rows


def report(label: str, times: Sequence[float], rows: int) -> str:
    return (
        f"| {label} | {len(times):,} | {rows / len(times):,.0f} | "
        f"{statistics.median(times):.2f} | {percentile(times, 0.95):.2f} | "
        f"{percentile(times, 0.99):.2f} | {max(times):.2f} |"
    )


def explain(engine: Engine, centre: int) -> str:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT f.*, p.name FROM programme_followups f"
                " JOIN persons p ON p.id = f.person_id WHERE f.status = 'due'"
                " AND f.institution_id = :c AND f.due_date <= :d ORDER BY f.due_date, f.id"
                " LIMIT 50"
            ),
            {"c": centre, "d": today() - timedelta(days=1)},
        )
        return "\n".join(str(r[0]) for r in rows)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--server-url", default=DEFAULT_SERVER)
    parser.add_argument("--database-url", help="use this database instead of a fresh one")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the fresh database")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--followups", type=int, default=5_000_000)
    parser.add_argument("--institutions", type=int, default=10)
    parser.add_argument("--teams", type=int, default=20, help="doctor teams per centre")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


def run(engine: Engine, args: argparse.Namespace, made: list[tuple[int, list[int]]]) -> None:
    rng = random.Random(args.seed)
    centre, teams = made[0]
    actor = worker(centre)

    def tasks(window: str, team: int | None = None) -> Callable[[Session], int]:
        def call(session: Session) -> int:
            found = programmes.task_list(session, actor=actor, window=window, team_id=team)
            return found.total

        return call

    def resident_timeline(session: Session) -> int:
        person = rng.randint(1, args.persons // len(made)) * len(made)  # a resident of made[0]
        return len(timeline.timeline(session, actor=actor, person_id=person, limit=50).events)

    measure(engine, 5, tasks("overdue"))  # warm the pool and the caches
    rows = [
        report(
            "institution, overdue (page 50 + total + counts)",
            *measure(engine, args.queries, tasks("overdue")),
        ),
        report("institution, due this week", *measure(engine, args.queries, tasks("week"))),
        report("one team, overdue", *measure(engine, args.queries, tasks("overdue", teams[0]))),
    ]
    with engine.connect() as conn:
        has_events = conn.execute(text("SELECT count(*) FROM record_events")).scalar_one() > 0
        counts = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM programme_followups),"
                " (SELECT count(*) FROM health_records WHERE institution_id = :c)"
            ),
            {"c": centre},
        ).one()
    if has_events:
        rows.append(
            report("resident timeline (page 50)", *measure(engine, args.queries, resident_timeline))
        )
    print()
    print(f"persons {counts[0]:,}; follow-ups {counts[1]:,}; residents of the centre {counts[2]:,}")
    print(f"machine: {platform.node()} {platform.machine()}, Python {platform.python_version()}")
    print()
    print("| call | calls | rows (total / entries) | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print()
    print("plan of the overdue page:")
    print(explain(engine, centre))
    print()
    print("command: .venv/bin/python -m bench.records_overdue " + shlex.join(sys.argv[1:]))


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
                centres = [
                    r[0]
                    for r in conn.execute(
                        text(
                            "SELECT id FROM institutions"
                            " WHERE kind = 'community_health_centre' ORDER BY id"
                        )
                    )
                ]
                made = []
                for c in centres:
                    ids = conn.execute(
                        text("SELECT id FROM doctor_teams WHERE institution_id = :c ORDER BY id"),
                        {"c": c},
                    )
                    made.append((c, [r[0] for r in ids]))
        else:
            made = prepare(engine, args.institutions, args.teams)
            print("loading", flush=True)
            load(engine, args, made)
        run(engine, args, made)
    finally:
        if name is not None and not args.keep:
            drop_database(args.server_url, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
