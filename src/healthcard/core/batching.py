"""Micro-batching: requests that arrive while the previous batch is in the database wait for the
next batch, which does their work in one transaction.

This is group commit done by the application. A request never waits for a timer: when nothing is
in flight its job runs at once, alone; under load, each transaction takes every job that queued
while the last one ran (up to ``max_batch``), so the number of statements, round trips, commits
and chain-head locks per job falls as the load rises, and each job's answer still comes only
after its own transaction committed. Jobs run on a worker thread (the database code is
synchronous); the event loop only queues and hands out results.

``run`` answers one outcome per job, in order. If it raises for a batch of several jobs, each job
is run again on its own, so that one job's failure (a bad row, a lost deadlock) reaches only its
own caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from anyio import to_thread

Job = TypeVar("Job")
Outcome = TypeVar("Outcome")


class MicroBatcher(Generic[Job, Outcome]):
    """Runs jobs in batches through ``run``, one batch at a time per process and event loop."""

    def __init__(
        self, run: Callable[[Sequence[Job]], Sequence[Outcome]], *, max_batch: int = 64
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._run = run
        self.max_batch = max_batch
        self._waiting: list[tuple[Job, asyncio.Future[Outcome]]] = []
        self._draining = False
        self._task: asyncio.Task[None] | None = None  # referenced, so it is not collected
        self.batches = 0  # how many batches ran, and how many jobs: for tests and metrics
        self.jobs = 0

    async def submit(self, job: Job) -> Outcome:
        """Queue ``job``; its outcome once the batch that carried it has run."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._waiting.append((job, future))
        if not self._draining:
            self._draining = True
            self._task = loop.create_task(self._drain())
        return await future

    async def alone(self, job: Job) -> Outcome:
        """Run ``job`` in a batch of its own, now, beside the queue (slow jobs: a PIN hash)."""
        outcomes = await to_thread.run_sync(self._run, [job])
        return outcomes[0]

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                jobs = [job for job, _ in batch]
                self.batches += 1
                self.jobs += len(jobs)
                try:
                    outcomes = await to_thread.run_sync(self._run_guarded, jobs)
                except Exception as error:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if not future.done():
                        if isinstance(outcome, _Failed):
                            future.set_exception(outcome.error)
                        else:
                            future.set_result(outcome)
        finally:
            self._draining = False

    def _run_guarded(self, jobs: list[Job]) -> list[Outcome | _Failed]:
        try:
            outcomes = list(self._run(jobs))
        except Exception as error:
            if len(jobs) == 1:
                return [_Failed(error)]
        else:
            if len(outcomes) != len(jobs):
                raise RuntimeError(f"batch of {len(jobs)} jobs answered {len(outcomes)} outcomes")
            return list(outcomes)
        answers: list[Outcome | _Failed] = []
        for job in jobs:  # one failed the batch: each alone, so it fails only its own caller
            try:
                answers.extend(self._run([job]))
            except Exception as error:
                answers.append(_Failed(error))
        return answers


class _Failed:
    """A job whose run raised: its caller gets the exception."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error
