"""A gateway is data (CONTRACT 14): [[gateways]] in the config file alone makes a new
wallet or card type work end to end; a malformed entry is one line at start; no
definition makes a request answer 500."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockpms.app import create_app
from mockpms.config import load_settings
from mockpms.errors import ConfigError
from mockpms.gateways import KEYS, parse_gateway
from tests.conftest import Live, Receiver, sale_fields, start_live

CONFIG = """
[[merchants]]
apiKey = "shop-a"
secret = "secret-a"

[[gateways]]
type = "OCTOPUS"
kind = "wallet"
desc = "Octopus"
langDesc = { zh_hk = "八達通", zh_cn = "八达通", en = "Octopus" }
payType = "Octopus"
payerId = "OCT{digits:8}"
logo = "octopus.svg"

[[gateways]]
type = "AMEXPAY"
kind = "card"
desc = "Amex Online"
payType = "AMEX"

[[gateways]]
type = "PAYME"
kind = "wallet"
desc = "PayMe"
h5 = true
userAgent = "PayMeApp"
"""
OCTOPUS_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"></svg>'


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("gateways")
    (folder / "octopus.svg").write_text(OCTOPUS_SVG)
    (folder / "mockpms.toml").write_text(CONFIG)
    live = start_live(load_settings(flags={}, environ={}, config_file=folder / "mockpms.toml"))
    yield live
    live.sandbox.close()
    live.server.stop()


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        ("zh_hk", ["八達通", "Amex Online", "PayMe"]),
        ("en", ["Octopus", "Amex Online", "PayMe"]),
        ("zh_cn", ["八达通", "Amex Online", "PayMe"]),
    ],
)
def test_online_gateway_lists_the_configured_gateways_only(
    configured: Live, lang: str, names: list[str]
) -> None:
    answer = configured.client.gateway(lang)
    assert [g["type"] for g in answer["gateways"]] == ["OCTOPUS", "AMEXPAY", "PAYME"]
    assert [g["langDesc"] for g in answer["gateways"]] == names
    assert answer["gateways"][0]["base64Logo"].startswith("data:image/svg+xml;base64,")


def test_a_config_only_wallet_sells_renders_settles_queries_and_notifies(
    configured: Live, receiver: Receiver
) -> None:
    sale = configured.client.sales(**sale_fields(type="OCTOPUS", webhookUrl=receiver.url))
    assert sale["errorCode"] == "0", sale
    page = configured.http.get(sale["paymentUrl"])
    assert page.status_code == 200
    assert "八達通" in page.text  # the wallet's name in the sale's language (zh_hk)
    assert 'name="action" value="pay"' in page.text
    settled = configured.control(
        "POST",
        f"/transactions/{sale['rrn']}/settle",
        json={"outcome": "success", "apiKey": "shop-a"},
    )
    assert settled.status_code == 200, settled.text
    query = configured.client.query(type="OCTOPUS", rrn=sale["rrn"], storeCode=sale["storeCode"])
    assert query["gwRefStatus"] == "01"
    assert query["payType"] == "Octopus"
    assert re.fullmatch(r"OCT[0-9]{8}", query["payDetail"])
    assert json.loads(query["extendParam"])["payerId"] == query["payDetail"]
    delivered = receiver.wait_for(1)[0].json
    assert delivered["rrn"] == sale["rrn"]
    assert delivered["type"] == "OCTOPUS"


def test_a_config_only_card_gateway_takes_the_test_cards(configured: Live) -> None:
    sale = configured.client.sales(**sale_fields(type="AMEXPAY", webhookUrl=""))
    page = configured.http.get(sale["paymentUrl"])
    assert page.status_code == 200
    assert "4111 1111 1111 1111" in page.text  # every test card brand by default
    settled = configured.control(
        "POST", f"/transactions/{sale['rrn']}/settle", json={"outcome": "success"}
    )
    assert settled.status_code == 200, settled.text
    query = configured.client.query(type="AMEXPAY", rrn=sale["rrn"], storeCode=sale["storeCode"])
    assert query["gwRefStatus"] == "01"
    assert re.fullmatch(r"[0-9]{6}xxxxxx[0-9]{4}", query["payDetail"])


def test_an_h5_gateway_from_config_pays_sessions_and_is_known_by_its_browser(
    configured: Live,
) -> None:
    created = configured.client.h5_create(
        sessionId="S-PAYME", amt=10, webhookUrl="http://127.0.0.1:9/hook"
    )
    page = configured.http.get(created["content"], headers={"User-Agent": "Mozilla PayMeApp/1"})
    assert page.status_code == 200
    paid = configured.control("POST", "/sessions/S-PAYME/pay", json={})
    assert paid.status_code == 200, paid.text
    assert paid.json()["transaction"]["type"] == "PAYME"
    refused = configured.control("POST", "/sessions/S-PAYME/scan", json={"wallet": "WXPAY"})
    assert refused.status_code == 400  # WXPAY is not defined in this sandbox
    assert "PAYME" in refused.json()["error"]


def test_the_served_schema_lists_the_configured_types(configured: Live) -> None:
    spec = configured.http.get("/_mock/openapi.json").json()
    sales = spec["components"]["schemas"]["OnlineSalesRequest"]["allOf"][1]
    assert sales["properties"]["type"]["enum"] == ["OCTOPUS", "AMEXPAY", "PAYME"]


# ------------------------------------------------------------ malformed entries


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"kind": "wallet"}, "type must be"),
        ({"type": ""}, "type must be"),
        ({"type": "X", "kind": "crypto"}, 'kind must be "wallet" or "card"'),
        ({"type": "X", "langDesc": {"en": 5}}, "langDesc must be a table of strings"),
        ({"type": "X", "payType": 3}, "payType must be a string"),
        ({"type": "X", "h5": "yes"}, "h5 must be true or false"),
        ({"type": "X", "colour": "red"}, "unknown key 'colour'"),
        ({"type": "X", "logo": "missing.svg"}, "cannot read it"),
        ({"type": "X", "logo": "not-svg.svg"}, "is not an SVG file"),
        ({"type": "X", "kind": "card", "h5": True}, "h5 = true needs kind"),
        ({"type": "X", "kind": "card", "brands": ["AMEX"]}, "brands must list"),
        ({"type": "X", "payerId": "{nope}"}, "payerId has '{nope}'"),
    ],
)
def test_a_malformed_gateway_is_one_clear_line(
    tmp_path: Path, entry: dict[str, Any], says: str
) -> None:
    (tmp_path / "not-svg.svg").write_text("hello")
    with pytest.raises(ConfigError) as raised:
        parse_gateway(entry, tmp_path, "gateways[0]")
    message = str(raised.value)
    assert says in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("gateways = []", "the list is empty"),
        ('[[gateways]]\ntype = "A"\n[[gateways]]\ntype = "A"', "type A is defined twice"),
        ('[[gateways]]\ntype = "A"\nkind = 1', 'kind must be "wallet" or "card"'),
    ],
)
def test_config_files_with_bad_gateways_fail_at_load(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "c.toml").write_text(text)
    with pytest.raises(ConfigError, match=re.escape(says)):
        load_settings(flags={}, environ={}, config_file=tmp_path / "c.toml")


# -------------------------------------------------------- no definition gives a 500

entries = st.fixed_dictionaries(
    {"type": st.from_regex(r"[A-Z0-9_]{1,32}", fullmatch=True)},
    optional={
        "kind": st.sampled_from(["wallet", "card"]),
        "desc": st.text(min_size=1, max_size=40),
        "payType": st.text(min_size=1, max_size=40),
        "h5": st.booleans(),
        "langDesc": st.dictionaries(
            st.sampled_from(["zh_hk", "zh_cn", "en", "fr"]), st.text(min_size=1, max_size=20)
        ),
        "payerId": st.text(st.sampled_from("ab{}:0123456789digtsuxhe"), max_size=20),
        "refCode": st.sampled_from(["{uuid}", "{date}{digits:4}", "R{hex:6}", "{chars:3}"]),
        "userAgent": st.text(min_size=1, max_size=10),
        "gateway": st.text(min_size=1, max_size=20),
        "bankType": st.text(min_size=1, max_size=10),
    },
)


@settings(max_examples=40, deadline=None)
@given(entry=entries)
def test_no_gateway_definition_makes_a_request_answer_500(entry: dict[str, Any]) -> None:
    try:
        gateway = parse_gateway(entry, Path(), "gateways[0]")
    except ConfigError:
        return  # refused at start: the promise is one line, not a 500
    from mockpms.config import Settings
    from mockpms.signing import sign

    app = create_app(Settings(gateway_definitions=(gateway,)))
    client = app.test_client()
    merchant = Settings().merchants[0]

    def call(endpoint: str, **fields: Any) -> Any:
        ts = int(__import__("time").time() * 1000)
        body = {"apiKey": merchant.api_key, "timestamp": ts, "sign": sign(ts, merchant.secret)}
        answer = client.post(f"/tt-pms-ws/rest/{endpoint}", json={**body, **fields})
        assert answer.status_code == 200, answer.text
        return answer.get_json()

    for lang in ("zh_hk", "zh_cn", "en"):
        assert call("online/gateway", lang=lang)["errorCode"] == "0"
    sale = call("online/sales", **sale_fields(type=gateway.type, webhookUrl=""))
    assert sale["errorCode"] == "0", sale
    page = client.get(sale["paymentUrl"].split("localhost", 1)[1])
    assert page.status_code == 200
    settled = client.post(f"/_mock/transactions/{sale['rrn']}/settle", json={"outcome": "success"})
    assert settled.status_code == 200, settled.text
    query = call("online/query", type=gateway.type, rrn=sale["rrn"], storeCode="WP001")
    assert query["gwRefStatus"] == "01"
    if gateway.h5:
        call("h5Payment/session/create", sessionId="S1", amt=1, webhookUrl="http://127.0.0.1:9/")
        paid = client.post("/_mock/sessions/S1/pay", json={"wallet": gateway.type})
        assert paid.status_code == 200, paid.text
    app.extensions["mockpms"].close()
    assert set(entry) <= KEYS
