"""--field-names: answers spelled exactly as the document's examples, or as its field tables.

The document answers `amount` in the H5 create example and `amt` in its table,
`salesman` in the H5 query example and `salesMan` in its table. Under `both` (the
default) mockpms answers both, so a client reading the wrong one would pass here
and fail on PMS; `example` and `table` answer one spelling each.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockpms.config import Settings, load_settings
from mockpms.errors import ConfigError
from tests.conftest import SHOP_A, Live, start_live
from tests.views.test_pms_examples import example, fields, send

# The document's H5 field tables (RESPONSE rows), as printed.
CREATE_TABLE = {
    "errorCode", "errorMessage", "content", "sessionId", "merchantName", "storeCode", "tillId",
    "salesMan", "amt", "remarks", "bitmap", "subject", "webhookUrl",
}  # fmt: skip
QUERY_TABLE = {
    "errorCode", "errorMessage", "sessionId", "storeCode", "tillId", "salesMan", "amt",
    "remarks", "txDatetime", "subject", "merchantName", "status",
}  # fmt: skip
# In the query example but in no table row: not a spelling, answered under every profile.
QUERY_EXAMPLE_ONLY = {"type", "rrn", "gwRefCode"}


@pytest.fixture(scope="module", params=["example", "table"])
def profiled(request: pytest.FixtureRequest) -> Iterator[tuple[str, Live]]:
    live = start_live(Settings(merchants=(SHOP_A,), field_names=request.param))
    yield request.param, live
    live.sandbox.close()
    live.server.stop()


def create(live: Live, session_id: str) -> dict[str, Any]:
    request = example("h5-create.request") | {"sessionId": session_id}
    return send(live, "h5Payment/session/create", request)


def paid_query(live: Live) -> dict[str, Any]:
    session_id = "8-6E1EB438B29127058E54C0C33CE0D7AE"
    live.reset()
    live.client.h5_create(**fields("h5-create.request") | {"sessionId": session_id})
    live.sandbox.sessions.pay(live.session(session_id, SHOP_A.api_key), "WXPAY")
    return send(live, "h5Payment/session/query", example("h5-query.request"))


def test_h5_create_answers_one_spelling_of_the_amount(profiled: tuple[str, Live]) -> None:
    profile, live = profiled
    answer = create(live, f"9-{profile}")
    if profile == "example":
        assert set(answer) == set(example("h5-create.response"))
        assert answer["amount"] == 10 and "amt" not in answer
    else:
        assert set(answer) == CREATE_TABLE
        assert answer["amt"] == 10 and "amount" not in answer


def test_h5_query_answers_one_spelling_of_the_salesman(profiled: tuple[str, Live]) -> None:
    profile, live = profiled
    answer = paid_query(live)
    if profile == "example":
        assert set(answer) == set(example("h5-query.response"))
        assert answer["salesman"] == "tt.test" and "salesMan" not in answer
    else:
        assert set(answer) == QUERY_TABLE | QUERY_EXAMPLE_ONLY
        assert answer["salesMan"] == "tt.test" and "salesman" not in answer


def test_other_answers_do_not_change(profiled: tuple[str, Live]) -> None:
    """online/* answers have one spelling in the document; the webhook has only its example."""
    _, live = profiled
    gateway = send(live, "online/gateway", example("gateway.request"))
    assert set(gateway) == set(example("gateway.response"))
    sale = live.client.sales(**fields("sales.request") | {"rrn": f"R{id(live)}"})
    assert "amt" in sale and "amount" not in sale
    txn = live.transaction(sale["rrn"], SHOP_A.api_key)
    assert list(txn.webhook_payload()) == list(example("webhook.request"))


def test_both_is_the_default_and_answers_both(live: Live) -> None:
    answer = create(live, "9-both")
    assert answer["amount"] == answer["amt"] == 10
    assert load_settings({}, {}).field_names == "both"


def test_a_profile_that_does_not_exist_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"MOCKPMS_FIELD_NAMES='tables': must be both, example"):
        load_settings({}, {"MOCKPMS_FIELD_NAMES": "tables"})
