"""An H5 payment racing a clock advance (hostile audit D9): the payer's page answers its
HTML page, never JSON, and no timed-out transaction carrying the session's id is left."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from tests.conftest import WECHAT_UA, Live, session_fields


def test_pay_racing_an_advance_answers_html_and_leaves_no_orphan(live: Live) -> None:
    odd: list[tuple[int, str]] = []
    for trial in range(40):
        fields = session_fields(webhookUrl="http://127.0.0.1:9/hook")
        created = live.client.h5_create(**fields)
        page = urlsplit(created["content"]).path
        live.control("POST", f"/sessions/{fields['sessionId']}/scan", json={"wallet": "WXPAY"})
        barrier = threading.Barrier(6)

        def pay(barrier: threading.Barrier = barrier, page: str = page) -> None:
            barrier.wait()
            answer = live.http.post(
                page, data={"wallet": "WXPAY"}, headers={"User-Agent": WECHAT_UA}
            )
            kind = answer.headers.get("Content-Type", "")
            if answer.status_code not in (303, 409) or (
                answer.status_code == 409 and not kind.startswith("text/html")
            ):
                odd.append((answer.status_code, kind))

        def advance(barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            live.control("POST", "/clock/advance", json={"seconds": 300})

        threads = [threading.Thread(target=pay if i % 2 else advance) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        for txn in live.control("GET", "/transactions", params={"limit": 5000}).json()[
            "transactions"
        ]:
            if txn["sessionId"] == fields["sessionId"]:
                assert txn["status"] == "success", (trial, txn)
    assert odd == []
