"""The lifecycle as plain objects: the transition table, expiry, and the one event per
change, without HTTP (milliseconds per test)."""

from __future__ import annotations

import pytest

from mockpms.clock import Clock
from mockpms.config import Settings
from mockpms.events import Event, Events, Kind, SessionEvent, TransactionEvent
from mockpms.gateways import GatewayCatalog
from mockpms.ids import IdGenerator
from mockpms.lifecycle import TRANSITIONS, InvalidTransition, Lifecycle
from mockpms.models import SessionStatus, TxStatus
from mockpms.pms_requests import SessionRequest
from mockpms.sessions import SessionClosed, Sessions
from mockpms.store import MemoryStore
from mockpms.testing import make_sale_request

SETTINGS = Settings()
MERCHANT = SETTINGS.merchants[0]


class Recorder:
    def __init__(self, events: Events) -> None:
        self.seen: list[Event] = []
        events.subscribe(self.seen.append)

    @property
    def kinds(self) -> list[Kind]:
        return [event.kind for event in self.seen]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def lifecycle(clock: Clock, events: Events) -> Lifecycle:
    store = MemoryStore()
    return Lifecycle(SETTINGS, store, clock, IdGenerator(7), GatewayCatalog(), events)


@pytest.fixture
def sessions(lifecycle: Lifecycle) -> Sessions:
    return Sessions(SETTINGS, lifecycle)


@pytest.mark.parametrize("start", list(TxStatus))
@pytest.mark.parametrize("target", [s for s in TxStatus if s is not TxStatus.PENDING])
def test_the_transition_table_decides_every_move(
    lifecycle: Lifecycle, start: TxStatus, target: TxStatus
) -> None:
    txn = lifecycle.create_sale(MERCHANT, make_sale_request())
    if start is not TxStatus.PENDING:  # get there first, the only way there is
        if start is TxStatus.REFUNDED:
            lifecycle.settle(txn, TxStatus.SUCCESS)
        lifecycle.settle(txn, start)
    if target in TRANSITIONS[start]:
        assert lifecycle.settle(txn, target).status is target
    else:
        with pytest.raises(InvalidTransition):
            lifecycle.settle(txn, target)
        assert txn.status is start  # a refused move changes nothing


def test_a_sale_and_its_payment_emit_one_event_each(lifecycle: Lifecycle, events: Events) -> None:
    recorder = Recorder(events)
    txn = lifecycle.create_sale(MERCHANT, make_sale_request())
    lifecycle.settle(txn, TxStatus.SUCCESS)
    assert recorder.kinds == [Kind.SALE_CREATED, Kind.PAID]
    paid = recorder.seen[1]
    assert isinstance(paid, TransactionEvent)
    assert paid.transaction is txn
    assert txn.gw_ref_code  # the gateway profile filled the payment's details


def test_expiry_is_applied_on_read_and_emitted_once(
    lifecycle: Lifecycle, clock: Clock, events: Events
) -> None:
    recorder = Recorder(events)
    txn = lifecycle.create_sale(MERCHANT, make_sale_request())
    clock.advance(SETTINGS.payment_timeout)
    found = lifecycle.transaction(MERCHANT.api_key, txn.rrn)
    assert found is not None
    assert found.status is TxStatus.TIMEOUT
    assert found.finished_at == txn.expires_at  # at the expiry, not when noticed
    lifecycle.transactions()  # read again: no second event
    assert recorder.kinds == [Kind.SALE_CREATED, Kind.EXPIRED]


def test_listeners_run_after_the_store_lock_is_released(
    lifecycle: Lifecycle, events: Events
) -> None:
    held: list[bool] = []

    def listener(event: Event) -> None:
        acquired = lifecycle.store.lock.acquire(blocking=False)
        if acquired:
            lifecycle.store.lock.release()
        held.append(not acquired or lifecycle.store.lock._is_owned())  # type: ignore[attr-defined]

    events.subscribe(listener)
    txn = lifecycle.create_sale(MERCHANT, make_sale_request())
    lifecycle.settle(txn, TxStatus.FAILED)
    assert held == [False, False]


def test_a_failing_listener_does_not_fail_the_change(lifecycle: Lifecycle, events: Events) -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("a listener's bug")

    events.subscribe(broken)
    txn = lifecycle.create_sale(MERCHANT, make_sale_request())
    assert lifecycle.settle(txn, TxStatus.SUCCESS).status is TxStatus.SUCCESS


def test_a_held_card_refuses_a_second_payment_until_settled(lifecycle: Lifecycle) -> None:
    txn = lifecycle.create_sale(MERCHANT, make_sale_request(type="VMPAY"))
    lifecycle.hold_card(txn, "VISA", "400000xxxxxx3220")
    with pytest.raises(InvalidTransition, match="waiting for its issuer"):
        lifecycle.hold_card(txn, "VISA", "411111xxxxxx1111")
    assert lifecycle.settle(txn, TxStatus.SUCCESS).status is TxStatus.SUCCESS


def test_an_h5_payment_is_one_step_with_its_events(
    sessions: Sessions, lifecycle: Lifecycle, events: Events
) -> None:
    recorder = Recorder(events)
    session = sessions.create(MERCHANT, SessionRequest("S1", 10, "http://127.0.0.1:9/"))
    txn = sessions.pay(session, "ALIPAY")
    assert txn.status is TxStatus.SUCCESS
    assert txn.type == "ALIPAY"
    assert sessions.status(session) is SessionStatus.PAID
    assert recorder.kinds == [
        Kind.SESSION_CREATED,
        Kind.SESSION_SCANNED,
        Kind.PAID,
        Kind.SESSION_PAID,
    ]
    with pytest.raises(SessionClosed):
        sessions.pay(session)


def test_a_countdown_that_ran_out_is_emitted_once_as_expired(
    sessions: Sessions, clock: Clock, events: Events
) -> None:
    recorder = Recorder(events)
    session = sessions.create(MERCHANT, SessionRequest("S2", 10, "http://127.0.0.1:9/"))
    sessions.scan(session, "WXPAY")
    clock.advance(SETTINGS.h5_countdown)
    assert sessions.status(session) is SessionStatus.CANCELLED
    sessions.all()
    sessions.all()
    expired = [e for e in recorder.seen if e.kind is Kind.SESSION_EXPIRED]
    assert len(expired) == 1
    assert isinstance(expired[0], SessionEvent)
    assert expired[0].at == session.scanned_at + SETTINGS.h5_countdown  # type: ignore[operator]


def test_an_unknown_wallet_is_refused_naming_the_h5_wallets(sessions: Sessions) -> None:
    session = sessions.create(MERCHANT, SessionRequest("S3", 10, "http://127.0.0.1:9/"))
    with pytest.raises(Exception, match="WXPAY, ALIPAY"):
        sessions.scan(session, "FPSPAY")
