"""The data dir (`--data-dir`): one SQLite database that keeps the sandbox across restarts.

What is kept is everything a reset clears (CONTRACT 10): transactions and H5
sessions (mockpms.sqlite_store), and the journal, webhook series and attempts,
faults, policy, clock offset and the id generator's position
(mockpms.sqlite_state). This module owns the file itself:

- One server per dir: an exclusive `flock` on `mockpms.lock`, which holds the
  holder's pid. The kernel drops the lock when the process dies, `kill -9`
  included, so a crash never leaves a stale lock behind.
- A file that is not a mockpms database, or one written by a newer mockpms, is
  refused (ConfigError, exit 2) after a read-only look: nothing is written to a
  file mockpms did not make.
- The schema carries a version (`PRAGMA user_version`) and migrates forward, one
  step at a time, each step in one transaction.
- WAL with `synchronous=NORMAL`, every write committed on its own before the
  answer goes out: a commit in WAL mode is a write() into the log, which the
  operating system keeps once the call returns, so `kill -9` of the server right
  after an answer loses nothing. Only a power cut or kernel crash can lose the
  last commits (FULL would fsync each one: several ms a write on a laptop
  disk, for a guarantee a sandbox does not need).

One connection, used under `lock` (the innermost lock of the sandbox: nothing
else is taken while it is held). One process writes; readers of the file
outside mockpms (sqlite3 mockpms.db) see committed state thanks to WAL.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mockpms.errors import ConfigError

DATABASE = "mockpms.db"
LOCK_FILE = "mockpms.lock"
APPLICATION_ID = 0x6D6B706D  # "mkpm": this SQLite file is a mockpms database

# Each step takes the schema from version N-1 to N. Append; never edit a shipped step.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: the first schema
        "CREATE TABLE transactions (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
        "api_key TEXT NOT NULL, rrn TEXT NOT NULL, token TEXT NOT NULL, "
        "status TEXT NOT NULL, expires_at REAL NOT NULL, data TEXT NOT NULL, "
        "UNIQUE (api_key, rrn))",
        "CREATE INDEX transactions_token ON transactions (token)",
        "CREATE INDEX transactions_rrn ON transactions (rrn)",
        "CREATE TABLE sessions (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
        "api_key TEXT NOT NULL, session_id TEXT NOT NULL, token TEXT NOT NULL, "
        "standing INTEGER NOT NULL, scanned_at REAL, data TEXT NOT NULL, "
        "UNIQUE (api_key, session_id))",
        "CREATE INDEX sessions_token ON sessions (token)",
        "CREATE INDEX sessions_id ON sessions (session_id)",
        "CREATE TABLE state (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE journal (id INTEGER PRIMARY KEY, entry TEXT NOT NULL, body)",
        "CREATE TABLE deliveries (id INTEGER PRIMARY KEY, data TEXT NOT NULL)",
        "CREATE TABLE attempts (id INTEGER PRIMARY KEY, data TEXT NOT NULL)",
    ),
    (  # 2: session eviction finds the first of each standing by index, not by a scan
        "CREATE INDEX sessions_standing ON sessions (standing, seq)",
        "CREATE INDEX sessions_countdown ON sessions (standing, scanned_at)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class DataDir:
    """An open data dir: its lock held, its database at SCHEMA_VERSION."""

    def __init__(self, directory: Path, connection: sqlite3.Connection, lock_fd: int) -> None:
        self.directory = directory
        self.database = directory / DATABASE
        self.connection = connection
        self.lock = threading.Lock()
        self._lock_fd = lock_fd
        self._batch_depth = 0

    @classmethod
    def open(cls, directory: str | os.PathLike[str]) -> DataDir:
        """Take the dir for this process; ConfigError (one line, exit 2) when it cannot."""
        where = Path(directory).absolute()
        flag = f"--data-dir {where}"
        try:
            where.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(
                f"{flag}: cannot create it ({error.strerror}); give a writable directory"
            ) from None
        lock_fd = _take_lock(where, flag)
        try:
            database = where / DATABASE
            version = _inspect(database, flag)
            connection = _connect(database, flag)
            _migrate(connection, version, flag)
        except BaseException:
            os.close(lock_fd)
            raise
        return cls(where, connection, lock_fd)

    # ------------------------------------------------------------------ writes

    def write(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One statement, committed on return (unless inside `batch`)."""
        with self.lock:
            self.connection.execute(sql, params)

    def write_many(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Several statements committed together (one transaction)."""
        with self.lock:
            if self._batch_depth:
                for sql, params in statements:
                    self.connection.execute(sql, params)
                return
            self.connection.execute("BEGIN")
            try:
                for sql, params in statements:
                    self.connection.execute(sql, params)
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
            self.connection.execute("COMMIT")

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Everything written (by any thread) until the block ends commits as one.

        For a reset: a `kill -9` in the middle of one leaves the sandbox as it was
        before, never half cleared. The lock is not held across the block, so the
        writers it calls (the journal, the engine) keep their own lock order.
        """
        with self.lock:
            self._batch_depth += 1
            if self._batch_depth == 1:
                self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            with self.lock:
                self._batch_depth -= 1
                if self._batch_depth == 0:
                    self.connection.execute("COMMIT")

    # ------------------------------------------------------------------- reads

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.lock:
            return self.connection.execute(sql, params).fetchall()

    def read_one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.lock:
            return self.connection.execute(sql, params).fetchone()

    def close(self) -> None:
        """Checkpoint and close the database, then release the dir."""
        with self.lock:
            try:
                self.connection.close()
            finally:
                if self._lock_fd >= 0:
                    os.close(self._lock_fd)
                    self._lock_fd = -1


def _take_lock(where: Path, flag: str) -> int:
    """The exclusive lock on the dir, with our pid written in the lock file."""
    path = where / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise ConfigError(
            f"{flag}: cannot write in it ({error.strerror}); give a writable directory"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise ConfigError(
            f"{flag}: in use by another mockpms (pid {holder}); one server per data dir: "
            f"stop it or choose another --data-dir"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _inspect(database: Path, flag: str) -> int:
    """The schema version of an existing database (0: none yet), read without writing.

    Refuses a file that is not SQLite, an SQLite file of something else, and one
    written by a newer mockpms.
    """
    if not database.exists() or (
        database.stat().st_size == 0 and not Path(f"{database}-wal").exists()
    ):
        return 0
    try:
        probe = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
        try:
            application_id = probe.execute("PRAGMA application_id").fetchone()[0]
            version = int(probe.execute("PRAGMA user_version").fetchone()[0])
            tables = probe.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            probe.close()
    except sqlite3.DatabaseError as error:
        raise ConfigError(
            f"{flag}: {database.name} is not a mockpms database ({error}); mockpms leaves it "
            f"as it is: move it away or choose another --data-dir"
        ) from None
    if application_id != APPLICATION_ID and (application_id != 0 or tables):
        raise ConfigError(
            f"{flag}: {database.name} is an SQLite database of another program, not of "
            f"mockpms; mockpms leaves it as it is: move it away or choose another --data-dir"
        )
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"{flag}: {database.name} was written by a newer mockpms (schema {version}; this "
            f"one reads up to {SCHEMA_VERSION}); upgrade mockpms or choose another --data-dir"
        )
    return version


def _connect(database: Path, flag: str) -> sqlite3.Connection:
    try:
        # Autocommit (isolation_level None): each statement commits, BEGIN groups.
        connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=5000")
    except sqlite3.Error as error:
        raise ConfigError(
            f"{flag}: cannot open {database.name} for writing ({error}); give a writable directory"
        ) from None
    return connection


def _migrate(connection: sqlite3.Connection, version: int, flag: str) -> None:
    """Apply the steps after `version`, each with its version number in one transaction."""
    try:
        for number in range(version + 1, SCHEMA_VERSION + 1):
            connection.execute("BEGIN IMMEDIATE")
            for statement in MIGRATIONS[number - 1]:
                connection.execute(statement)
            connection.execute(f"PRAGMA application_id={APPLICATION_ID}")
            connection.execute(f"PRAGMA user_version={number}")
            connection.execute("COMMIT")
    except sqlite3.Error as error:
        connection.close()
        raise ConfigError(f"{flag}: cannot write the database ({error})") from None
