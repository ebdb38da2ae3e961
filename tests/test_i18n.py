"""Page texts in zh_hk, zh_cn and en; amounts as PMS pages show them."""

from __future__ import annotations

import re

import pytest

from mockpms import i18n


def test_every_text_exists_in_all_three_languages_with_the_same_placeholders() -> None:
    for key in i18n.text_keys():
        versions = [i18n.texts(lang).t(key) for lang in i18n.LANGS]
        assert all(versions), key
        placeholders = {frozenset(re.findall(r"{(\w+)}", text)) for text in versions}
        assert len(placeholders) == 1, key


def test_traditional_and_simplified_differ_where_the_script_does() -> None:
    assert i18n.texts("zh_hk").t("closes_in") == "交易將要在5分鐘後關閉，請及時付款！"
    assert i18n.texts("zh_cn").t("closes_in") == "交易将要在5分钟后关闭，请及时付款！"
    assert i18n.texts("en").t("welcome_wallet", wallet="FPS") == "Welcome to FPS"


def test_unknown_language_falls_back_to_zh_hk_and_unknown_key_shows_itself() -> None:
    assert i18n.texts("fr").lang == "zh_hk"
    assert i18n.texts(None).t("no_such_key") == "no_such_key"


@pytest.mark.parametrize(
    ("amt", "shown"),
    [(10, "0.10 HKD"), (0, "0.00 HKD"), (90000, "900.00 HKD"), (123456789, "1,234,567.89 HKD")],
)
def test_amount_in_cents_is_shown_like_pms(amt: int, shown: str) -> None:
    assert i18n.format_amount(amt) == shown
