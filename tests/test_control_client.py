"""ControlClient: the /_mock API from Python, against a live mockpms."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockpms.client import ControlCallError, ControlClient, PMSClient, PMSResponseError
from mockpms.testing import WebhookReceiver
from tests.conftest import Live, sale_fields, session_fields


@pytest.fixture
def control(live: Live) -> Iterator[ControlClient]:
    with ControlClient(live.url) as client:
        yield client


def test_health_and_ready(control: ControlClient) -> None:
    assert control.health()["status"] == "ok"
    assert control.ready()["status"] == "ready"


def test_reset_forgets_transactions(live: Live, control: ControlClient) -> None:
    fields = sale_fields()
    assert live.client.sales(**fields)["errorCode"] == "0"
    control.reset()
    assert live.client.sales(**fields)["errorCode"] == "0"  # the rrn is free again


def test_a_refused_call_raises_with_the_servers_message(control: ControlClient) -> None:
    with pytest.raises(ControlCallError) as caught:
        control.request("GET", "no-such-call")
    assert caught.value.status == 404
    assert "no such endpoint: /_mock/no-such-call" in str(caught.value)


def test_admin_token_is_sent_as_a_bearer_header(live: Live) -> None:
    with ControlClient(live.url, admin_token="t0ken") as client:
        assert client._http.headers["Authorization"] == "Bearer t0ken"


def test_pay_an_h5_session_then_list_it(live: Live, control: ControlClient) -> None:
    fields = session_fields()
    assert live.client.h5_create(**fields)["errorCode"] == "0"

    scanned = control.scan(fields["sessionId"], wallet="ALIPAY")
    assert scanned["wallet"] == "ALIPAY" and scanned["status"] == "1"
    paid = control.pay(fields["sessionId"])

    assert paid["status"] == "2"
    assert live.client.h5_query(fields["sessionId"])["status"] == "2"
    assert [s["sessionId"] for s in control.sessions()] == [fields["sessionId"]]
    assert control.session(fields["sessionId"])["rrn"] == paid["transaction"]["rrn"]


def test_paying_an_unknown_session_raises_with_the_reason(control: ControlClient) -> None:
    with pytest.raises(ControlCallError) as caught:
        control.pay("NO-SUCH-SESSION")
    assert caught.value.status == 404
    assert "NO-SUCH-SESSION" in caught.value.message


def test_pms_client_names_an_answer_that_is_not_a_json_object(
    mockpms_webhook_receiver: WebhookReceiver,
) -> None:
    """What a proxy in front of PMS may send: a 502 with some other body."""
    mockpms_webhook_receiver.respond_with(502, "Bad Gateway")
    with PMSClient(mockpms_webhook_receiver.url, "k", "s") as client:
        with pytest.raises(PMSResponseError, match=r"online/sales: HTTP 502 .*Bad Gateway"):
            client.sales(rrn="R1")
        assert client.last_response is not None and client.last_response.status_code == 502
    [request] = mockpms_webhook_receiver.received
    assert request.path == "/webhook/online/sales" and request.json["rrn"] == "R1"
