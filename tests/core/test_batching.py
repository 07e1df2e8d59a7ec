"""Micro-batching: jobs that arrive while a batch runs share the next one; each caller gets its
own outcome, and one job's failure reaches only its own caller."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import pytest

from healthcard.core.batching import MicroBatcher
from tests.factories import run_async


class Recorder:
    """A batch function that doubles numbers slowly and remembers the batches it saw."""

    def __init__(self, *, fail_on: int | None = None, delay: float = 0.05) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on
        self.delay = delay
        self.threads: set[str] = set()

    def __call__(self, jobs: Sequence[int]) -> list[int]:
        self.batches.append(list(jobs))
        self.threads.add(threading.current_thread().name)
        time.sleep(self.delay)  # the database's time: others queue meanwhile
        if self.fail_on in jobs:
            raise ValueError(f"job {self.fail_on} is bad")
        return [job * 2 for job in jobs]


async def _gather(batcher: MicroBatcher[int, int], jobs: Sequence[int]) -> list[object]:
    async def one(job: int) -> int:
        return await batcher.submit(job)

    return list(await asyncio.gather(*(one(job) for job in jobs), return_exceptions=True))


def test_jobs_arriving_together_share_a_batch_and_get_their_own_outcomes() -> None:
    run = Recorder()
    batcher = MicroBatcher(run)

    async def go() -> list[object]:
        first = asyncio.ensure_future(batcher.submit(0))
        await asyncio.sleep(0.01)  # job 0 is in the database now, alone: nobody waited for it
        rest = await _gather(batcher, range(1, 10))
        return [await first, *rest]

    outcomes = run_async(go())
    assert outcomes == [job * 2 for job in range(10)]
    # The nine that queued while job 0 ran go together.
    assert run.batches == [[0], [1, 2, 3, 4, 5, 6, 7, 8, 9]]
    assert (batcher.batches, batcher.jobs) == (2, 10)
    assert threading.main_thread().name not in run.threads  # off the event loop


def test_a_batch_takes_at_most_max_batch_jobs() -> None:
    run = Recorder()
    batcher = MicroBatcher(run, max_batch=4)
    outcomes = run_async(_gather(batcher, range(10)))
    assert outcomes == [job * 2 for job in range(10)]
    assert [len(batch) for batch in run.batches] == [4, 4, 2]


def test_a_failing_job_fails_only_its_own_caller() -> None:
    run = Recorder(fail_on=5, delay=0.01)
    outcomes = run_async(_gather(MicroBatcher(run), range(8)))
    assert isinstance(outcomes[5], ValueError)
    assert [o for i, o in enumerate(outcomes) if i != 5] == [i * 2 for i in range(8) if i != 5]
    # The failed batch was run again job by job.
    assert [5] in run.batches


def test_a_batch_answering_the_wrong_number_of_outcomes_is_an_error() -> None:
    def short(jobs: Sequence[int]) -> list[int]:
        return list(jobs)[:-1] if len(jobs) > 1 else list(jobs)

    batcher = MicroBatcher(short)

    async def go() -> list[object]:
        return await _gather(batcher, range(3))

    outcomes = run_async(go())
    assert all(isinstance(o, RuntimeError) for o in outcomes[1:]), outcomes


def test_alone_runs_beside_the_queue() -> None:
    run = Recorder(delay=0.01)
    batcher = MicroBatcher(run)

    async def go() -> tuple[int, list[object]]:
        alone = asyncio.ensure_future(batcher.alone(21))
        queued = await _gather(batcher, range(3))
        return await alone, queued

    alone, queued = run_async(go())
    assert alone == 42
    assert queued == [0, 2, 4]
    assert [21] in run.batches
    assert batcher.jobs == 3  # alone() is not counted as queued work


def test_the_queue_drains_again_after_being_idle() -> None:
    run = Recorder(delay=0.0)
    batcher = MicroBatcher(run)

    async def go() -> list[int]:
        first = await batcher.submit(1)
        await asyncio.sleep(0.01)
        return [first, await batcher.submit(2)]

    assert run_async(go()) == [2, 4]


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        MicroBatcher(Recorder(), max_batch=0)
