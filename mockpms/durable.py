"""What a data dir keeps beside the records (CONTRACT 10), as the domain sees it.

The journal and the webhook engine append to logs that outlive a restart: they
tell a StateSink what they kept and dropped, as they do it, under their own
lock (so the disk sees changes in the order memory did). Small state (clock
offset, faults, policy, the id generator's position) is saved whole by
`Saved.state` name whenever it changes. Without a data dir the sink is NO_SINK
and every call is a no-op; the domain never knows which it has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mockpms.journal import Entry
    from mockpms.webhooks import Attempt, Delivery


class StateSink(Protocol):
    def save(self, name: str, value: Any) -> None:
        """Keep one piece of small state (replacing what was kept under `name`)."""

    def journal_kept(self, entry: Entry, dropped_id: int | None) -> None:
        """A journal entry was kept; `dropped_id` fell off the front to make room."""

    def journal_cleared(self, api_key: str | None = None) -> None:
        """Every entry (of one merchant, with `api_key`) was forgotten."""

    def delivery_changed(self, delivery: Delivery) -> None:
        """A webhook series began or moved on (attempt made, acknowledged...)."""

    def delivery_removed(self, delivery_id: int) -> None: ...

    def attempt_logged(self, attempt: Attempt, dropped_id: int | None) -> None:
        """An attempt was logged; `dropped_id` fell off the front of the log."""

    def webhooks_cleared(self, api_key: str | None = None) -> None:
        """Every series and attempt (of one merchant, with `api_key`) was forgotten."""


class NoSink:
    """The in-memory sandbox: nothing is kept anywhere else."""

    def save(self, name: str, value: Any) -> None:
        return None

    def journal_kept(self, entry: Entry, dropped_id: int | None) -> None:
        return None

    def journal_cleared(self, api_key: str | None = None) -> None:
        return None

    def delivery_changed(self, delivery: Delivery) -> None:
        return None

    def delivery_removed(self, delivery_id: int) -> None:
        return None

    def attempt_logged(self, attempt: Attempt, dropped_id: int | None) -> None:
        return None

    def webhooks_cleared(self, api_key: str | None = None) -> None:
        return None


NO_SINK: StateSink = NoSink()


@dataclass
class Saved:
    """What a data dir held at start-up, for each part to take back."""

    state: dict[str, Any] = field(default_factory=dict)
    journal: list[Entry] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
