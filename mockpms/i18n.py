"""Texts of the mock's pages in PMS's three languages: zh_hk (Traditional), zh_cn
(Simplified) and en.

One table, one lookup: `texts(lang)` gives a Texts whose `t(key, **params)`
returns the text in that language (falling back to English, then to the key,
so a missing entry shows up on the page instead of failing it). Pages of any
view (hosted payment page, H5 page) add their keys here.
"""

from __future__ import annotations

from typing import Any

LANGS = ("zh_hk", "zh_cn", "en")
DEFAULT_LANG = "zh_hk"

# The value of <html lang>, for fonts and screen readers.
HTML_LANG = {"zh_hk": "zh-Hant-HK", "zh_cn": "zh-Hans-CN", "en": "en"}

# key -> (zh_hk, zh_cn, en)
_TABLE: dict[str, tuple[str, str, str]] = {
    # ---------------------------------------------------------- common
    "title_pay": ("支付", "支付", "Payment"),
    "amount": ("支付金額", "支付金额", "Amount"),
    "seller": ("賣家", "卖家", "Seller"),
    "subject": ("商品", "商品", "Item"),
    "remarks": ("備註", "备注", "Remarks"),
    "merchant": ("收款方", "收款方", "Payee"),
    "rrn": ("交易編號", "交易编号", "Reference"),
    "store": ("商店/收銀機", "商店/收银机", "Store/till"),
    "sandbox": ("測試環境", "测试环境", "Sandbox"),
    "sandbox_note": (
        "這是 mockpms 模擬的支付頁面，不會真正扣款。",
        "这是 mockpms 模拟的支付页面，不会真正扣款。",
        "This is a mockpms sandbox page: no real money moves.",
    ),
    "closes_in": (
        "交易將要在5分鐘後關閉，請及時付款！",
        "交易将要在5分钟后关闭，请及时付款！",
        "This payment closes in 5 minutes, please pay in time!",
    ),
    "time_left": ("剩餘時間", "剩余时间", "Time left"),
    "cancel": ("取消支付", "取消支付", "Cancel payment"),
    "back_to_merchant": ("返回商戶", "返回商户", "Return to the merchant"),
    # ---------------------------------------------------------- wallets
    "welcome_wallet": ("你好，歡迎使用{wallet}", "你好，欢迎使用{wallet}", "Welcome to {wallet}"),
    "scan_to_pay": (
        "請使用{wallet}掃一掃付款",
        "请使用{wallet}扫一扫付款",
        "Scan with {wallet} to pay",
    ),
    "qr_alt": ("付款二維碼", "付款二维码", "Payment QR code"),
    "open_app": ("打開{wallet}付款", "打开{wallet}付款", "Open {wallet} to pay"),
    "sandbox_pay": ("模擬付款成功", "模拟付款成功", "Simulate: pay"),
    "sandbox_fail": ("模擬付款失敗", "模拟付款失败", "Simulate: payment fails"),
    "sandbox_actions": (
        "測試按鈕（代替錢包操作）",
        "测试按钮（代替钱包操作）",
        "Sandbox buttons (instead of the wallet)",
    ),
    "wallet_confirm": ("確認付款", "确认付款", "Confirm payment"),
    "wallet_refuse": ("拒絕付款", "拒绝付款", "Refuse payment"),
    "wallet_pay_to": ("付款給", "付款给", "Pay to"),
    "wallet_done": (
        "已付款，請返回結帳頁面。",
        "已付款，请返回结账页面。",
        "Paid. You can go back to the checkout page.",
    ),
    # ---------------------------------------------------------- cards
    "card_title": ("信用卡資料", "信用卡资料", "Card details"),
    "card_number": ("卡號", "卡号", "Card number"),
    "card_expiry": ("有效期 (MM/YY)", "有效期 (MM/YY)", "Expiry (MM/YY)"),
    "card_cvc": ("安全碼 (CVC)", "安全码 (CVC)", "Security code (CVC)"),
    "card_name": ("持卡人姓名", "持卡人姓名", "Name on card"),
    "card_pay": ("支付 {amount}", "支付 {amount}", "Pay {amount}"),
    "card_accepted": ("接受：{brands}", "接受：{brands}", "Accepted: {brands}"),
    "test_cards": ("測試卡號", "测试卡号", "Test cards"),
    "test_cards_note": (
        "任何未過期的有效期及任意三位安全碼均可。",
        "任何未过期的有效期及任意三位安全码均可。",
        "Any future expiry date and any 3-digit CVC.",
    ),
    "form_has_errors": (
        "請更正以下資料後再試。",
        "请更正以下资料后再试。",
        "Please correct the details below and try again.",
    ),
    "card_number_missing": ("請輸入卡號。", "请输入卡号。", "Enter the card number."),
    "card_number_format": (
        "卡號應為12至19位數字。",
        "卡号应为12至19位数字。",
        "A card number has 12 to 19 digits.",
    ),
    "card_number_luhn": (
        "卡號無效（校驗碼不符），請檢查是否輸入錯誤。",
        "卡号无效（校验码不符），请检查是否输入错误。",
        "This card number is not valid (its check digit is wrong): please check it for typos.",
    ),
    "card_brand_not_accepted": (
        "此頁面只接受 {accepted} 卡（此卡為 {brand}）。",
        "此页面只接受 {accepted} 卡（此卡为 {brand}）。",
        "This page accepts {accepted} cards only (this card is {brand}).",
    ),
    "card_not_test_card": (
        "測試環境只接受下列測試卡號。",
        "测试环境只接受下列测试卡号。",
        "The sandbox accepts only the test cards listed below.",
    ),
    "card_expiry_format": (
        "請以 MM/YY 格式輸入有效期。",
        "请以 MM/YY 格式输入有效期。",
        "Enter the expiry date as MM/YY.",
    ),
    "card_expired": ("此卡已過期。", "此卡已过期。", "This card has expired."),
    "card_cvc_format": ("安全碼應為3位數字。", "安全码应为3位数字。", "The CVC has 3 digits."),
    # ---------------------------------------------------------- results
    "result_success": ("支付成功", "支付成功", "Payment successful"),
    "result_failed": ("支付失敗", "支付失败", "Payment failed"),
    "result_timeout": ("交易已逾時", "交易已超时", "Payment expired"),
    "result_refunded": ("交易已取消或退款", "交易已取消或退款", "Payment cancelled or refunded"),
    "result_pending": ("等待銀行確認", "等待银行确认", "Waiting for the bank"),
    "result_success_note": (
        "款項已收到，謝謝！",
        "款项已收到，谢谢！",
        "The payment has been received. Thank you!",
    ),
    "result_failed_note": (
        "付款未能完成，沒有扣款。",
        "付款未能完成，没有扣款。",
        "The payment did not go through; nothing was charged.",
    ),
    "result_timeout_note": (
        "未在5分鐘內付款，交易已關閉。",
        "未在5分钟内付款，交易已关闭。",
        "It was not paid within 5 minutes and is closed.",
    ),
    "result_refunded_note": (
        "此交易已取消，不能再付款。",
        "此交易已取消，不能再付款。",
        "This payment was cancelled and can no longer be paid.",
    ),
    "result_pending_note": (
        "發卡銀行尚未確認此付款，請稍後向商戶查詢。",
        "发卡银行尚未确认此付款，请稍后向商户查询。",
        "The card issuer has not confirmed this payment yet; check with the merchant later.",
    ),
    "pay_type": ("支付方式", "支付方式", "Paid with"),
    "reason": ("原因", "原因", "Reason"),
    # Why a payment failed, by gwErrorCode: the page shows the payer this; the API
    # answers (gwErrorMessage) stay the gateway's own English text.
    "gw_DECLINED": ("發卡行拒絕了這筆付款", "发卡行拒绝了这笔付款", "Declined by the issuer"),
    "gw_INSUFFICIENT_FUNDS": ("餘額不足", "余额不足", "Insufficient funds"),
    "gw_CANCELLED": ("付款人取消了付款", "付款人取消了付款", "The payer cancelled the payment"),
    "gw_PAYMENT_FAILED": (
        "付款人的錢包未能完成付款",
        "付款人的钱包未能完成付款",
        "The payer's wallet did not complete the payment",
    ),
    # ---------------------------------------------------------- errors
    "not_found": ("找不到此支付頁面", "找不到此支付页面", "Payment page not found"),
    "not_found_note": (
        "連結無效或已失效，請返回商戶重新下單。",
        "链接无效或已失效，请返回商户重新下单。",
        "The link is not valid any more; go back to the merchant and start again.",
    ),
    "forbidden": ("請求被拒絕", "请求被拒绝", "Request refused"),
    "forbidden_note": (
        "此表單並非從支付頁面提交。請重新打開支付頁面。",
        "此表单并非从支付页面提交。请重新打开支付页面。",
        "This form was not sent from the payment page. Open the payment page again.",
    ),
}


class Texts:
    """The texts of one language; `t("key", name=value)` formats a text."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else DEFAULT_LANG
        self._index = LANGS.index(self.lang)

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.lang]

    def t(self, key: str, **params: Any) -> str:
        row = _TABLE.get(key)
        if row is None:
            return key
        text = row[self._index] or row[2]
        return text.format(**params) if params else text

    def reason(self, gw_error_code: str, gw_error_message: str) -> str:
        """Why a payment failed, for the payer: translated when the gwErrorCode is
        known, otherwise the gateway's own gwErrorMessage."""
        key = f"gw_{gw_error_code}"
        return self.t(key) if key in _TABLE else gw_error_message

    __call__ = t


def texts(lang: str | None) -> Texts:
    return Texts(lang or DEFAULT_LANG)


def text_keys() -> tuple[str, ...]:
    return tuple(_TABLE)


def format_amount(amt: int, ccy: str = "HKD") -> str:
    """Cents as PMS pages show them: 10 -> "0.10 HKD", 123456 -> "1,234.56 HKD";
    without a currency (the H5 page, beside its ¥/HK$ label) just "1,234.56"."""
    sign = "-" if amt < 0 else ""
    cents = abs(amt)
    shown = f"{sign}{cents // 100:,}.{cents % 100:02d}"
    return f"{shown} {ccy}" if ccy else shown
