"""Jobs that fall due on the mock clock: one timer thread and a bounded worker pool.

Why not a thread or a sleep per job: a sandbox may have thousands of webhook
attempts (and auto-settlements) due at once, and the mock clock jumps when a test
advances it, so a sleeping thread would wake at the wrong time. Here one timer
thread sleeps until the earliest due time (or a nudge), hands due jobs to at most
`workers` threads, and `run_due()` lets a caller run everything due *now* and wait
for it, which is how `POST /_mock/clock/advance` answers only after the work ran.

Every thread is a daemon started on first use, and `close()` waits a bounded time:
a job stuck on a hung network peer never holds up shutdown. Under freezegun the
timer and the jobs see the frozen time, like the rest of the sandbox (see _spawn).
"""

from __future__ import annotations

import _thread
import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from enum import Enum

from mockpms.clock import Clock

log = logging.getLogger("mockpms.scheduler")

# The timer re-reads the clock at least this often, so it also notices time that moved
# without a nudge (a wall-clock jump, or freezegun's tick()).
MAX_TIMER_SLEEP = 1.0


_CLOCK_GETTIME: Callable[[int], float] | None = getattr(time, "clock_gettime", None)


def real_monotonic() -> float:
    """Seconds on a monotonic clock that freezegun leaves alone, for real timeouts.

    freezegun freezes time.monotonic() too; a wait bounded by it would never end
    under freeze_time. CLOCK_MONOTONIC read through clock_gettime is not patched.
    """
    if _CLOCK_GETTIME is not None:
        return _CLOCK_GETTIME(time.CLOCK_MONOTONIC)
    return time.monotonic()  # Windows: no clock_gettime


class JobState(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


class Job:
    """A handle on one scheduled callback: when it is due, whether it ran, cancel()."""

    __slots__ = (
        "_done", "_scheduler", "at", "callback", "due_at", "lane", "name", "owner", "seq",
        "state",
    )  # fmt: skip

    def __init__(
        self,
        scheduler: Scheduler,
        due_at: float,
        seq: int,
        callback: Callable[[], object],
        name: str,
        lane: str,
        owner: str | None = None,
    ) -> None:
        self._scheduler = scheduler
        self.due_at = due_at  # on the owner's clock (the merchant's, or the global one)
        self.owner = owner
        self.at = due_at  # the same moment on the global mock clock (set by the scheduler)
        self.seq = seq
        self.callback = callback
        self.name = name
        self.lane = lane
        self.state = JobState.PENDING
        self._done = threading.Event()

    def cancel(self) -> bool:
        """Stop the job from running; True if it had not started (False if running or over)."""
        return self._scheduler._cancel(self)

    @property
    def cancelled(self) -> bool:
        return self.state is JobState.CANCELLED

    @property
    def finished(self) -> bool:
        """Ran to the end or was cancelled: nothing more will happen."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ran or was cancelled; False if `timeout` passed first."""
        return self._done.wait(timeout)

    def __lt__(self, other: Job) -> bool:  # heap order: due time, then scheduling order
        return (self.at, self.seq) < (other.at, other.seq)

    def __repr__(self) -> str:
        return f"<Job {self.name} due {self.due_at:.3f} {self.state.value}>"


class Scheduler:
    """Runs callbacks at mock-clock times on a bounded pool of daemon threads."""

    def __init__(self, clock: Clock, workers: int = 8, *, name: str = "mockpms") -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.clock = clock
        self.workers = workers
        self.name = name
        self._lock = threading.Lock()
        self._timer_wakeup = threading.Condition(self._lock)
        self._work_ready = threading.Condition(self._lock)
        self._heap: list[Job] = []
        # Due jobs waiting for a worker, one FIFO queue per lane, served in turn.
        self._lanes: dict[str, deque[Job]] = {}
        self._lane_running: dict[str, int] = {}
        # One lane (one webhook receiver) never holds more than this many workers, so
        # a receiver that hangs leaves workers for the others.
        self.lane_limit = max(1, workers * 3 // 4)
        # A lane's second and later concurrent jobs never take the last `reserve` idle
        # workers: however many receivers hang, a new receiver's first job finds a worker
        # (with 8 workers, two hung receivers hold at most 6).
        self.reserve = max(1, workers // 4)
        self._running: set[Job] = set()
        self._seq = itertools.count()
        self._pending = 0  # PENDING jobs in the heap or the ready queue
        self._idle_workers = 0
        self._completed = 0  # jobs run to the end, for run_due's count
        self._threads: list[threading.Event] = []  # set when that worker has exited
        self._timer: threading.Event | None = None
        self._closed = False

    # ------------------------------------------------------------------ public

    def schedule(
        self,
        due_at: float,
        callback: Callable[[], object],
        *,
        name: str = "job",
        lane: str = "",
        owner: str | None = None,
    ) -> Job:
        """Run `callback` on a worker once the mock clock reaches `due_at` (epoch seconds).

        Due jobs of different lanes (e.g. webhook receivers) are served in turn, and
        a named lane holds at most `lane_limit` workers. A job already due goes straight
        to the workers. After close() the job comes back cancelled: a sandbox that is
        shutting down starts nothing new. With `owner` (a merchant's apiKey), `due_at`
        is on that merchant's clock and follows its own offset (see `shift`).
        """
        with self._lock:
            job = Job(self, due_at, next(self._seq), callback, name, lane, owner)
            job.at = due_at - self.clock.own_offset(owner)
            if self._closed:
                job.state = JobState.CANCELLED
                job._done.set()
                return job
            self._pending += 1
            if job.at <= self.clock.now():
                self._enqueue(job)
            else:
                heapq.heappush(self._heap, job)
                self._start_timer()
                if self._heap[0] is job:
                    self._timer_wakeup.notify()
            return job

    def run_due(self, timeout: float = 60.0) -> tuple[int, int]:
        """Run every job due on the mock clock now, and wait until those have finished.

        Jobs that the due jobs schedule for a time already passed (the next attempts
        after a long clock jump) run too, until nothing due is left; jobs the timer
        thread had already started are waited for as well. Waits at most `timeout`
        seconds in all. Returns (jobs that finished meanwhile, due jobs still running).
        Never call it from a job, or while holding a lock a job needs.
        """
        deadline = real_monotonic() + timeout
        with self._lock:
            completed_before = self._completed
        while True:
            with self._lock:
                now = self.clock.now()
                self._release_due(now)
                due = [
                    job
                    for job in itertools.chain(*self._lanes.values(), self._running)
                    if job.at <= now and _is_live(job)
                ]
            for job in due:
                job.wait(max(0.0, deadline - real_monotonic()))
            unfinished = sum(1 for job in due if not job.finished)
            if not due or unfinished:
                with self._lock:
                    return self._completed - completed_before, unfinished

    def nudge(self) -> None:
        """Make the timer re-read the clock now (after freezegun's tick(), say)."""
        with self._lock:
            self._timer_wakeup.notify()

    def pending(self) -> int:
        """Jobs scheduled and not yet started."""
        with self._lock:
            return self._pending

    def running(self) -> int:
        with self._lock:
            return len(self._running)

    def next_due(self) -> float | None:
        """Due time of the earliest job still waiting for its time, if any."""
        with self._lock:
            self._drop_cancelled_top()
            return self._heap[0].at if self._heap else None

    def shift(self, owner: str) -> None:
        """A merchant's own clock offset changed: its waiting jobs fall due on its new time."""
        with self._lock:
            offset = self.clock.own_offset(owner)
            for job in self._heap:
                if job.owner == owner:
                    job.at = job.due_at - offset
            heapq.heapify(self._heap)
            self._timer_wakeup.notify()

    def cancel_owned(self, owner: str) -> int:
        """Cancel every job of one merchant not yet started (a scoped reset); how many."""
        with self._lock:
            queued = itertools.chain(self._heap, *self._lanes.values())
            cancelled = [j for j in queued if j.owner == owner and _is_pending(j)]
        return sum(1 for job in cancelled if job.cancel())

    def cancel_all(self) -> int:
        """Cancel every job not yet started (a reset); returns how many were cancelled."""
        with self._lock:
            queued = itertools.chain(self._heap, *self._lanes.values())
            cancelled = [j for j in queued if _is_pending(j)]
            for job in cancelled:
                job.state = JobState.CANCELLED
                job._done.set()
            self._heap.clear()
            self._lanes.clear()
            self._pending = 0
            return len(cancelled)

    def close(self, timeout: float = 3.0) -> None:
        """Cancel pending jobs and stop the threads, waiting at most `timeout` seconds.

        A worker stuck in a job (a receiver that never answers) is left behind; it is
        a daemon thread, so it cannot keep the process alive.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.cancel_all()
        with self._lock:
            self._timer_wakeup.notify_all()
            self._work_ready.notify_all()
            exited = [*self._threads, *([self._timer] if self._timer else [])]
        deadline = real_monotonic() + timeout
        for event in exited:
            event.wait(max(0.0, deadline - real_monotonic()))
        stuck = sum(1 for event in exited if not event.is_set())
        if stuck:
            log.warning("scheduler closed with %d job(s) still running", stuck)

    # ---------------------------------------------------------------- internals

    def _cancel(self, job: Job) -> bool:
        with self._lock:
            if job.state is not JobState.PENDING:
                return False
            job.state = JobState.CANCELLED
            self._pending -= 1
        job._done.set()  # the heap or queue entry is skipped when it comes up
        return True

    def _enqueue(self, job: Job) -> None:
        """Hand a due job to the workers (lock held); start a worker if none is idle."""
        self._lanes.setdefault(job.lane, deque()).append(job)
        if self._idle_workers:
            # Counted off here, not by the woken worker: a burst of enqueues before it
            # wakes must start more workers rather than notify the same one again.
            self._idle_workers -= 1
            self._work_ready.notify()
        elif len(self._threads) < self.workers:
            self._threads.append(_spawn(self._work, f"{self.name}-worker-{len(self._threads)}"))

    def _take(self) -> Job | None:
        """The next job for a worker (lock held): lanes in turn, skipping full lanes."""
        for lane in list(self._lanes):
            queue = self._lanes[lane]
            while queue and queue[0].state is not JobState.PENDING:
                queue.popleft()  # cancelled while waiting
            if not queue:
                del self._lanes[lane]
                continue
            running = self._lane_running.get(lane, 0) if lane else 0
            if lane and running >= self.lane_limit:
                continue  # the default lane "" (quick in-memory jobs) has no limit
            if running and self.workers - len(self._running) - 1 < self.reserve:
                continue  # keep the reserve for lanes with nothing running
            job = queue.popleft()
            del self._lanes[lane]  # to the back of the turn
            if queue:
                self._lanes[lane] = queue
            return job
        return None

    def _release_due(self, now: float) -> None:
        """Move every job due at `now` from the heap to the workers (lock held)."""
        while self._heap and self._heap[0].at <= now:
            job = heapq.heappop(self._heap)
            if job.state is JobState.PENDING:
                self._enqueue(job)

    def _drop_cancelled_top(self) -> None:
        while self._heap and self._heap[0].state is not JobState.PENDING:
            heapq.heappop(self._heap)

    def _start_timer(self) -> None:
        if self._timer is None:
            self._timer = _spawn(self._time, f"{self.name}-timer")

    def _time(self) -> None:
        """The timer thread: sleep until the earliest due time or a nudge, release, repeat."""
        with self._lock:
            while not self._closed:
                now = self.clock.now()
                self._release_due(now)
                self._drop_cancelled_top()
                # Nothing waiting: sleep until schedule() brings a job (it nudges).
                delay = None
                if self._heap:
                    delay = min(MAX_TIMER_SLEEP, max(0.0, self._heap[0].at - now))
                self._timer_wakeup.wait(delay)

    def _work(self) -> None:
        """A worker thread: take due jobs one at a time, run them, never die of an error."""
        while True:
            with self._lock:
                job = self._take()
                while job is None and not self._closed:
                    self._idle_workers += 1  # the notifier takes it off again
                    self._work_ready.wait()
                    job = self._take()
                if self._closed:
                    return
                assert job is not None
                job.state = JobState.RUNNING
                self._pending -= 1
                self._running.add(job)
                self._lane_running[job.lane] = self._lane_running.get(job.lane, 0) + 1
            try:
                job.callback()
            except Exception:
                log.exception("scheduled job %s failed", job.name)
            finally:
                with self._lock:
                    job.state = JobState.DONE
                    self._running.discard(job)
                    self._lane_running[job.lane] -= 1
                    if not self._lane_running[job.lane]:
                        del self._lane_running[job.lane]
                    self._completed += 1
                job._done.set()


def _spawn(target: Callable[[], None], name: str) -> threading.Event:
    """Start `target` on a daemon thread; the returned event is set when it has exited.

    Started with _thread rather than threading.Thread on purpose: freezegun hands the
    real time to any time.time() call made within a few frames of a `threading` frame
    (its default ignore list), so a threading.Thread timer would fire jobs on real
    time while a test is frozen. A _thread thread has no such frame, so the timer and
    the jobs follow frozen time like the request threads do.
    """
    exited = threading.Event()

    def run() -> None:
        threading.current_thread().name = name  # for logs and debuggers
        try:
            target()
        finally:
            exited.set()

    _thread.start_new_thread(run, ())
    return exited


def _is_pending(job: Job) -> bool:
    return job.state is JobState.PENDING


def _is_live(job: Job) -> bool:
    return job.state in (JobState.PENDING, JobState.RUNNING)
