"""Many tests, one mockpms (CONTRACT 17): runtime merchants, and control calls scoped to
one of them that leave every other merchant exactly as it was."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mockpms.client import ControlCallError, ControlClient, PMSClient
from mockpms.config import Settings
from mockpms.errors import AuthError
from mockpms.pms_requests import SessionRequest
from mockpms.sandbox import Sandbox
from mockpms.signing import sign
from mockpms.testing import make_sale_request
from tests.conftest import Live, Receiver, Reply, sale_fields, session_fields
from tests.test_cli_commands import ok


class Tenant:
    """One runtime merchant as a test job sees it: its signed client, its scoped control."""

    def __init__(self, live: Live, **fields: str) -> None:
        self.fields = ControlClient(live.url).add_merchant(**fields)
        self.api_key, self.secret = self.fields["apiKey"], self.fields["secret"]
        self.pms = PMSClient(live.rest, self.api_key, self.secret)
        self.control = ControlClient(live.url, api_key=self.api_key)

    def sale(self, **overrides: Any) -> dict[str, Any]:
        fields = sale_fields(**overrides)
        answer = self.pms.sales(**fields)
        assert answer["errorCode"] == "0", answer
        return fields

    def query(self, fields: dict[str, Any]) -> dict[str, Any]:
        return self.pms.query(type=fields["type"], rrn=fields["rrn"], storeCode="WP001")

    def view(self) -> dict[str, Any]:
        """Everything of this merchant the control API shows, for before/after checks."""
        sessions = self.control.sessions()
        return {
            "transactions": self.control.transactions(),
            "sessions": [{k: v for k, v in s.items() if k != "secondsLeft"} for s in sessions],
            "deliveries": self.control.deliveries(),
            "attempts": self.control.webhooks(),
            "requests": self.control.requests(),
            "faults": self.control.faults(),
            "policy": self.control.request("GET", "policy"),
            "clock": self.control.clock()["ownOffset"],
            "report": self.control.report(),
        }


@pytest.fixture
def tenants(live: Live) -> Callable[..., Tenant]:
    return lambda **fields: Tenant(live, **fields)


def busy(tenant: Tenant, receiver: Receiver) -> dict[str, Any]:
    """Give a merchant one of everything: a paid sale with a webhook retry pending, a
    pending sale, a scanned H5 session, a fault, a policy and journal entries."""
    receiver.respond(Reply(status=500))
    paid = tenant.sale(webhookUrl=receiver.url)
    pending = tenant.sale()
    tenant.control.settle(paid["rrn"], "success")
    tenant.control.wait_for_webhook(paid["rrn"])
    session = session_fields()
    assert tenant.pms.h5_create(**session)["errorCode"] == "0"
    tenant.control.scan(session["sessionId"], "WXPAY")
    tenant.control.add_fault(endpoint="online/gateway", errorCode="601", count=5)
    tenant.control.set_policy("failed", 3600)
    return {"paid": paid, "pending": pending, "session": session}


# ------------------------------------------------------------ merchants at runtime


def test_a_runtime_merchant_gets_generated_credentials_that_sign(live: Live) -> None:
    control = ControlClient(live.url)
    added = control.add_merchant(merchantName="CI job 7")
    assert added["apiKey"].startswith("tenant-") and len(added["secret"]) >= 24
    assert added["merchantName"] == "CI job 7" and added["runtime"] is True
    client = PMSClient(live.rest, added["apiKey"], added["secret"])
    fields = sale_fields()
    assert client.sales(**fields)["errorCode"] == "0"
    assert client.query(type="VMPAY", rrn=fields["rrn"], storeCode="WP001")["gwRefStatus"] == "05"
    assert added["apiKey"] in [m["apiKey"] for m in control.merchants()]
    session = session_fields(merchantName="", storeCode="")
    answer = client.h5_create(**session)
    assert answer["merchantName"] == "CI job 7"  # its H5 defaults apply


def test_given_credentials_are_kept_and_a_reused_api_key_is_409(live: Live) -> None:
    control = ControlClient(live.url)
    added = control.add_merchant(apiKey="job-1", secret="s3cret", storeCode="ST9")
    assert (added["apiKey"], added["secret"], added["storeCode"]) == ("job-1", "s3cret", "ST9")
    for taken in ("job-1", "shop-a"):  # a runtime one, a configured one
        with pytest.raises(ControlCallError) as refused:
            control.add_merchant(apiKey=taken)
        assert refused.value.status == 409 and "already a merchant" in refused.value.message


@pytest.mark.parametrize(
    ("body", "field"),
    [({"apiKey": 7}, "apiKey"), ({"secret": ""}, "secret"), ({"colour": "red"}, "colour"),
     ({"merchantName": "a\nb"}, "merchantName"), ({"apiKey": "a/b"}, "apiKey")],
)  # fmt: skip
def test_a_bad_merchant_body_is_a_400_naming_the_field(
    live: Live, body: dict[str, Any], field: str
) -> None:
    answer = live.control("POST", "/merchants", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"{field}:")


def test_delete_removes_a_runtime_merchant_and_all_its_data(
    live: Live, tenants: Callable[..., Tenant], receiver: Receiver
) -> None:
    gone, stays = tenants(), tenants()
    gone_records = busy(gone, receiver)
    kept = busy(stays, receiver)
    before = stays.view()
    assert live.control("DELETE", f"/merchants/{gone.api_key}").json() == {"removed": gone.api_key}
    assert stays.view() == before
    assert live.control("GET", f"/transactions?apiKey={gone.api_key}").json()["transactions"] == []
    assert live.control("GET", f"/webhooks?apiKey={gone.api_key}").json()["deliveries"] == []
    assert live.control("GET", f"/requests?apiKey={gone.api_key}").json()["requests"] == []
    assert gone.pms.gateway()["errorCode"] == "40002"  # the apiKey is unknown now
    assert stays.query(kept["pending"])["gwRefStatus"] == "05"

    # Its pending webhook retry is cancelled: advancing past it sends only stays' retry.
    def posts_for(fields: dict[str, Any]) -> int:
        return sum(1 for r in receiver.requests if r.json and r.json["rrn"] == fields["rrn"])

    assert posts_for(gone_records["paid"]) == posts_for(kept["paid"]) == 1
    live.control("POST", "/clock/advance", json={"seconds": 301})
    assert posts_for(gone_records["paid"]) == 1
    assert posts_for(kept["paid"]) == 2


def test_deleting_a_configured_or_unknown_merchant_is_refused(live: Live) -> None:
    assert live.control("DELETE", "/merchants/shop-a").status_code == 409
    assert live.control("DELETE", "/merchants/nobody").status_code == 404


def test_a_global_reset_leaves_only_the_configured_merchants(
    live: Live, tenants: Callable[..., Tenant]
) -> None:
    tenant = tenants()
    live.reset()
    assert [m["apiKey"] for m in ControlClient(live.url).merchants()] == ["shop-a", "shop-b"]
    assert tenant.pms.gateway()["errorCode"] == "40002"


# ------------------------------------------------------------ the scope parameter


def test_the_scope_is_a_query_or_a_body_field_and_both_must_agree(
    live: Live, tenants: Callable[..., Tenant]
) -> None:
    one, two = tenants(), tenants()
    assert live.control("POST", f"/reset?apiKey={one.api_key}").json()["apiKey"] == one.api_key
    assert live.control("POST", "/reset", json={"apiKey": two.api_key}).json()["apiKey"] == (
        two.api_key
    )
    clash = live.control("POST", f"/reset?apiKey={one.api_key}", json={"apiKey": two.api_key})
    assert clash.status_code == 400 and clash.json()["error"].startswith("apiKey:")
    unknown = live.control("POST", "/clock/advance", json={"seconds": 1, "apiKey": "nobody"})
    assert unknown.status_code == 404 and "POST /_mock/merchants" in unknown.json()["error"]


# ------------------------------------------------------------ scoped calls, two merchants


def test_a_scoped_reset_clears_exactly_its_merchant(
    live: Live, tenants: Callable[..., Tenant], receiver: Receiver
) -> None:
    one, two = tenants(), tenants()
    busy(one, receiver)
    kept = busy(two, receiver)
    one.control.advance_clock(30)
    before = two.view()
    configured = live.client.sales(**sale_fields())
    assert configured["errorCode"] == "0"

    one.control.reset()
    after = one.view()
    assert after["transactions"] == after["sessions"] == after["deliveries"] == []
    assert after["attempts"] == after["requests"] == after["faults"] == []
    assert after["policy"]["own"] is False and after["clock"] == 0
    assert after["report"] == {"merchants": {}}
    assert two.view() == before
    assert two.query(kept["pending"])["gwRefStatus"] == "05"
    assert one.pms.gateway()["errorCode"] == "0"  # the merchant stays, its fault is gone
    assert (
        live.client.query(type="VMPAY", rrn=configured["rrn"], storeCode="WP001")["errorCode"]
        == "0"
    )


def test_a_scoped_fault_hits_only_its_merchant_and_beats_a_global_one(
    live: Live, tenants: Callable[..., Tenant]
) -> None:
    one, two = tenants(), tenants()
    one.control.add_fault(endpoint="online/gateway", errorCode="3", count=1)
    live.control("POST", "/faults", json={"endpoint": "online/gateway", "errorCode": "601"})
    assert [f.get("apiKey") for f in live.control("GET", "/faults").json()["faults"]] == [
        one.api_key,
        None,
    ]
    assert two.pms.gateway()["errorCode"] == "601"  # the global one, taken by two
    assert one.pms.gateway()["errorCode"] == "3"  # its own first
    assert one.pms.gateway()["errorCode"] == "0"  # both used up
    one.control.add_fault(endpoint="online/gateway", httpStatus=503)
    # A body whose apiKey cannot be read meets only global faults: here, none.
    broken = live.http.post(
        "/tt-pms-ws/rest/online/gateway",
        content=b'{"apiKey": "' + one.api_key.encode() + b'", oops',
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    assert one.control.faults()[0]["remaining"] == 1
    assert live.control("DELETE", f"/faults?apiKey={two.api_key}").json() == {"cleared": 0}
    assert live.control("DELETE", "/faults", json={"apiKey": one.api_key}).json() == {"cleared": 1}


def test_a_scoped_policy_settles_only_its_merchant_and_beats_the_global_one(
    live: Live, tenants: Callable[..., Tenant]
) -> None:
    one, two, three = tenants(), tenants(), tenants()
    live.control("POST", "/policy", json={"outcome": "failed", "afterSeconds": 10})
    one.control.set_policy("success", 10)
    three.control.set_policy("success", 0)
    three.control.clear_policy()  # back to following the sandbox's
    sales = {t.api_key: t.sale() for t in (one, two, three)}
    one.control.advance_clock(10)  # one's own clock only
    assert one.query(sales[one.api_key])["gwRefStatus"] == "01"
    assert two.query(sales[two.api_key])["gwRefStatus"] == "05"
    live.control("POST", "/clock/advance", json={"seconds": 10})
    assert two.query(sales[two.api_key])["gwRefStatus"] == "02"
    assert three.query(sales[three.api_key])["gwRefStatus"] == "02"
    assert one.control.request("GET", "policy")["own"] is True
    assert two.control.request("GET", "policy") == {
        "policy": {"outcome": "failed", "afterSeconds": 10.0},
        "apiKey": two.api_key,
        "own": False,
    }


def test_a_scoped_advance_moves_only_its_merchants_time(
    live: Live, tenants: Callable[..., Tenant], receiver: Receiver
) -> None:
    one, two = tenants(), tenants()
    receiver.respond_with(500)
    expiring = {t.api_key: t.sale() for t in (one, two)}
    notified = {t.api_key: t.sale(webhookUrl=receiver.url) for t in (one, two)}
    sessions = {}
    for tenant in (one, two):
        sessions[tenant.api_key] = session_fields()
        assert tenant.pms.h5_create(**sessions[tenant.api_key])["errorCode"] == "0"
        tenant.control.scan(sessions[tenant.api_key]["sessionId"], "ALIPAY")
        tenant.control.settle(notified[tenant.api_key]["rrn"], "success")
        tenant.control.wait_for_webhook(notified[tenant.api_key]["rrn"])
    two_before = two.view()
    global_before = live.control("GET", "/clock").json()

    moved = one.control.advance_clock(301)
    assert moved["ownOffset"] == 301 and moved["offset"] == 0
    assert moved["now"] == pytest.approx(time.time() + 301, abs=5)
    assert one.query(expiring[one.api_key])["gwRefStatus"] == "03"
    assert one.pms.h5_query(sessions[one.api_key]["sessionId"])["status"] == "0"
    assert len(one.control.webhooks(notified[one.api_key]["rrn"])) == 2  # its retry ran
    assert two.view() == two_before  # nothing of two's moved
    assert two.query(expiring[two.api_key])["gwRefStatus"] == "05"
    assert two.pms.h5_query(sessions[two.api_key]["sessionId"])["status"] == "1"
    assert len(two.control.webhooks(notified[two.api_key]["rrn"])) == 1
    clock = live.control("GET", "/clock").json()
    assert clock["offset"] == global_before["offset"] == 0
    assert "ownOffset" not in clock
    # The global clock moves everyone, each on top of its own offset.
    live.control("POST", "/clock/advance", json={"seconds": 301})
    assert two.query(expiring[two.api_key])["gwRefStatus"] == "03"
    assert one.control.clock()["ownOffset"] == 301


def test_signature_freshness_uses_the_wall_clock_for_every_merchant(
    live: Live, tenants: Callable[..., Tenant]
) -> None:
    tenant = tenants()
    tenant.control.advance_clock(3600)
    now_ms = int(time.time() * 1000)

    def gateway(timestamp: int) -> dict[str, Any]:
        body = {
            "apiKey": tenant.api_key,
            "timestamp": timestamp,
            "sign": sign(timestamp, tenant.secret),
        }
        return dict(live.http.post("/tt-pms-ws/rest/online/gateway", json=body).json())

    assert gateway(now_ms)["errorCode"] == "0"
    assert gateway(now_ms + 3600 * 1000)["errorCode"] == "40002"  # the merchant's mock time


def test_a_scoped_seed_makes_only_that_merchants_ids_repeat(
    live: Live, tenants: Callable[..., Tenant]
) -> None:
    one, two = tenants(), tenants()

    def token(tenant: Tenant) -> str:
        answer = tenant.pms.sales(**sale_fields())
        return str(answer["paymentUrl"]).rsplit("=", 1)[-1]

    one.control.seed(5)
    first = [token(one), token(two)]
    one.control.seed(5)
    second = [token(one), token(two)]
    assert first[0] == second[0] and first[1] != second[1]
    assert live.control("GET", f"/seed?apiKey={one.api_key}").json() == {"seed": 5}
    assert live.control("GET", "/seed").json() == {"seed": None}


# ------------------------------------------------------------ twenty merchants at once


def test_twenty_threads_each_in_its_own_merchant_never_interfere(
    live: Live, tenants: Callable[..., Tenant]
) -> None:
    count = 20
    barrier = threading.Barrier(count, timeout=30)

    def job(index: int) -> dict[str, Any]:
        tenant = tenants(merchantName=f"job {index}")
        barrier.wait()
        sales = [tenant.sale(amt=100 + index) for _ in range(3)]
        tenant.control.settle(sales[0]["rrn"], "success")
        tenant.control.add_fault(endpoint="online/gateway", errorCode="3")
        assert tenant.pms.gateway()["errorCode"] == "3"
        tenant.control.advance_clock(301 + index)
        states = [tenant.query(s)["gwRefStatus"] for s in sales]
        assert states == ["01", "03", "03"], states
        barrier.wait()  # everyone has sold, settled and advanced: now reset at once
        tenant.control.reset()
        last = tenant.sale(amt=1000 + index)
        barrier.wait()
        return {
            "api_key": tenant.api_key,
            "amt": 1000 + index,
            "transactions": tenant.control.transactions(),
            "offset": tenant.control.clock()["ownOffset"],
            "query": tenant.query(last),
        }

    with ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(job, range(count)))
    for result in results:
        assert [(t["apiKey"], t["amt"]) for t in result["transactions"]] == [
            (result["api_key"], result["amt"])
        ]
        assert result["offset"] == 0
        assert result["query"]["gwRefStatus"] == "05"
    assert live.control("GET", "/clock").json()["offset"] == 0
    assert live.control("GET", "/faults").json() == {"faults": []}


# ------------------------------------------------------------ the CLI


def test_the_cli_scopes_reset_fault_and_advance_with_api_key(
    live: Live, tenants: Callable[..., Tenant]
) -> None:
    one, two = tenants(), tenants()
    kept = {t.api_key: t.sale() for t in (one, two)}
    scoped = ("--api-key", one.api_key)
    assert f"mock time of {one.api_key}" in ok(live, "advance", "301", *scoped)
    assert one.query(kept[one.api_key])["gwRefStatus"] == "03"
    assert two.query(kept[two.api_key])["gwRefStatus"] == "05"
    ok(live, "fault", "add", "--error-code", "3", "--endpoint", "online/gateway", *scoped)
    assert two.pms.gateway()["errorCode"] == "0"
    assert one.pms.gateway()["errorCode"] == "3"
    out = ok(live, "reset", *scoped)
    assert f"merchant {one.api_key} back to its start (others untouched)" in out
    assert one.control.transactions() == []
    assert [t["rrn"] for t in two.control.transactions()] == [kept[two.api_key]["rrn"]]
    # The environment's MOCKPMS_API_KEY (a server setting) never scopes a reset.
    assert "back to the start state" in ok(live, "reset", MOCKPMS_API_KEY=two.api_key)
    assert [m["apiKey"] for m in ControlClient(live.url).merchants()] == ["shop-a", "shop-b"]


def test_a_request_of_a_merchant_removed_meanwhile_creates_nothing() -> None:
    """The lifecycle checks, under the store lock, that the merchant still exists: a sale
    whose request began before DELETE /_mock/merchants answered is refused (40002)."""
    box = Sandbox(Settings())
    try:
        merchant = box.add_merchant({"apiKey": "job-9"})
        box.remove_merchant("job-9")
        with pytest.raises(AuthError, match="was removed from this sandbox"):
            box.lifecycle.create_sale(merchant, make_sale_request())
        with pytest.raises(AuthError):
            box.sessions.create(merchant, SessionRequest("S1", 10, ""))
        assert box.store.counts() == {"transactions": 0, "sessions": 0}
    finally:
        box.close()
