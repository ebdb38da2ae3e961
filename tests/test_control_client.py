"""ControlClient: the /_mock API from Python, against a live mockpms."""

from __future__ import annotations

import pytest

from mockpms.client import ControlCallError, ControlClient
from tests.conftest import Live, sale_fields


@pytest.fixture
def control(live: Live) -> ControlClient:
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
