"""The scheduler on the mock clock: due order, cancel, run_due, bounded workers, close."""

from __future__ import annotations

import functools
import threading
from datetime import datetime, timezone

from freezegun import freeze_time

from mockpms.clock import Clock
from mockpms.scheduler import JobState, Scheduler


def test_jobs_run_when_the_mock_clock_reaches_them_in_due_order() -> None:
    clock = Clock()
    scheduler = Scheduler(clock, workers=1)
    ran: list[str] = []
    now = clock.now()
    scheduler.schedule(now + 600, lambda: ran.append("600"))
    scheduler.schedule(now + 300, lambda: ran.append("300"))
    scheduler.schedule(now + 300, lambda: ran.append("300 again"))
    later = scheduler.schedule(now + 900, lambda: ran.append("900"))

    assert scheduler.run_due() == (0, 0)
    clock.advance(600)
    assert scheduler.run_due() == (3, 0)
    assert ran == ["300", "300 again", "600"]
    assert later.state is JobState.PENDING
    assert scheduler.pending() == 1
    assert scheduler.next_due() == now + 900
    scheduler.close()
    assert later.cancelled


def test_a_due_job_runs_without_being_nudged() -> None:
    clock = Clock()
    scheduler = Scheduler(clock, workers=2)
    job = scheduler.schedule(clock.now() + 0.05, lambda: None)
    assert job.wait(10), "the timer thread runs a job whose time came"
    assert job.state is JobState.DONE
    scheduler.close()


def test_a_cancelled_job_never_runs() -> None:
    clock = Clock()
    scheduler = Scheduler(clock)
    ran: list[int] = []
    job = scheduler.schedule(clock.now() + 10, lambda: ran.append(1))
    assert job.cancel() is True
    assert job.cancel() is False
    clock.advance(20)
    assert scheduler.run_due() == (0, 0)
    assert ran == []
    assert job.finished and job.cancelled
    scheduler.close()


def test_cancel_all_drops_everything_pending() -> None:
    clock = Clock()
    scheduler = Scheduler(clock)
    ran: list[int] = []
    for i in range(50):
        scheduler.schedule(clock.now() + 1 + i, functools.partial(ran.append, i))
    assert scheduler.cancel_all() == 50
    clock.advance(100)
    assert scheduler.run_due() == (0, 0)
    assert ran == []
    assert scheduler.pending() == 0
    scheduler.close()


def test_run_due_also_runs_what_due_jobs_schedule_for_a_past_time() -> None:
    clock = Clock()
    scheduler = Scheduler(clock)
    start = clock.now()
    ran: list[float] = []

    def attempt(due: float) -> None:
        ran.append(due - start)
        if len(ran) < 5:
            scheduler.schedule(due + 300, lambda: attempt(due + 300))

    scheduler.schedule(start, lambda: attempt(start))
    scheduler.run_due()  # attempt 1 is due at once
    assert ran == [0]
    clock.advance(3600)
    assert scheduler.run_due() == (4, 0)
    assert ran == [0, 300, 600, 900, 1200]
    scheduler.close()


def test_thousands_of_due_jobs_run_on_a_bounded_pool() -> None:
    clock = Clock()
    scheduler = Scheduler(clock, workers=4, name="bounded")
    lock = threading.Lock()
    seen_threads: set[str] = set()
    count = 0

    def job() -> None:
        nonlocal count
        with lock:
            count += 1
            seen_threads.add(threading.current_thread().name)

    for _ in range(5000):
        scheduler.schedule(clock.now(), job)
    _, still_running = scheduler.run_due()  # waits for the ones already started too
    assert still_running == 0
    assert count == 5000
    assert len(seen_threads) <= 4
    assert all(name.startswith("bounded-worker-") for name in seen_threads)
    scheduler.close()


def test_a_hung_job_does_not_hold_up_the_others_or_close() -> None:
    clock = Clock()
    scheduler = Scheduler(clock, workers=2)
    release = threading.Event()
    hung = scheduler.schedule(clock.now(), release.wait)
    quick = [scheduler.schedule(clock.now(), lambda: None) for _ in range(100)]
    assert all(job.wait(10) for job in quick)
    assert hung.state is JobState.RUNNING

    waiting = scheduler.schedule(clock.now() + 60, lambda: None)
    _, still_running = scheduler.run_due(timeout=0.2)
    assert still_running == 1, "run_due reports the job it could not wait for"

    scheduler.close(timeout=0.2)
    assert not release.is_set() and hung.state is JobState.RUNNING
    assert waiting.cancelled
    late = scheduler.schedule(clock.now(), lambda: None)
    assert late.cancelled, "a closed scheduler starts nothing new"
    release.set()
    assert hung.wait(5)


def test_an_error_in_a_job_does_not_kill_the_worker() -> None:
    clock = Clock()
    scheduler = Scheduler(clock, workers=1)

    def boom() -> None:
        raise RuntimeError("boom")

    scheduler.schedule(clock.now(), boom)
    after = scheduler.schedule(clock.now(), lambda: None)
    assert scheduler.run_due() == (2, 0)
    assert after.state is JobState.DONE
    scheduler.close()


def test_under_freezegun_a_tick_then_run_due_runs_the_job() -> None:
    with freeze_time(datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)) as frozen:
        clock = Clock()
        scheduler = Scheduler(clock)
        ran: list[float] = []
        job = scheduler.schedule(clock.now() + 300, lambda: ran.append(clock.now()))
        assert scheduler.run_due() == (0, 0)
        frozen.tick(300)
        scheduler.run_due()  # the timer thread, nudged, may race it to the job: either runs it
        assert job.wait(5)
        assert ran == [datetime(2026, 3, 1, 12, 5, tzinfo=timezone.utc).timestamp()]
        scheduler.close()


def test_under_freezegun_the_timer_does_not_fire_on_real_time() -> None:
    with freeze_time(datetime(2020, 1, 1, tzinfo=timezone.utc)):  # long before the wall clock
        clock = Clock()
        scheduler = Scheduler(clock)
        job = scheduler.schedule(clock.now() + 300, lambda: None)
        scheduler.nudge()
        assert not job.wait(1.5), "frozen time has not reached the job; the timer must wait"
        assert job.state is JobState.PENDING
        scheduler.close()


def test_under_freezegun_timeouts_still_pass_in_real_time() -> None:
    with freeze_time(datetime(2026, 3, 1, tzinfo=timezone.utc)):
        clock = Clock()
        scheduler = Scheduler(clock, workers=1)
        release = threading.Event()
        scheduler.schedule(clock.now(), release.wait)
        assert scheduler.run_due(timeout=0.2) == (0, 1), "gave up on the stuck job"
        release.set()
        scheduler.close()


def test_a_lane_of_hung_jobs_leaves_workers_for_the_other_lanes() -> None:
    clock = Clock()
    scheduler = Scheduler(clock, workers=4)
    assert scheduler.lane_limit == 3
    release = threading.Event()
    hung = [scheduler.schedule(clock.now(), release.wait, lane="http://hung:80") for _ in range(50)]
    healthy = [
        scheduler.schedule(clock.now(), lambda: None, lane="http://shop:80") for _ in range(20)
    ]
    assert all(job.wait(10) for job in healthy), "queued behind the hung lane's backlog"
    assert sum(job.state is JobState.RUNNING for job in hung) == 3
    assert sum(job.state is JobState.PENDING for job in hung) == 47
    release.set()
    assert all(job.wait(10) for job in hung)
    scheduler.close()
