"""Request validation: field shapes and lengths, the country table (API.md §7), line and tax arithmetic (§6.1).

Each check returns a list of `Problem`s; the API modules turn them into Klarna errors.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_AMOUNT = 100_000_000
MAX_LINES = 1000
RATE_SCALE = 10_000

# country -> (currency, locales), API.md §7
COUNTRIES = {
    "AU": ("AUD", ("en-AU",)), "AT": ("EUR", ("de-AT", "en-AT")),
    "BE": ("EUR", ("nl-BE", "fr-BE", "en-BE")), "CA": ("CAD", ("en-CA", "fr-CA")),
    "CZ": ("CZK", ("cs-CZ", "en-CZ")), "DK": ("DKK", ("da-DK", "en-DK")),
    "FI": ("EUR", ("fi-FI", "sv-FI", "en-FI")), "FR": ("EUR", ("fr-FR", "en-FR")),
    "DE": ("EUR", ("de-DE", "en-DE")), "GR": ("EUR", ("el-GR", "en-GR")),
    "HU": ("HUF", ("hu-HU", "en-HU")), "IE": ("EUR", ("en-IE",)),
    "IT": ("EUR", ("it-IT", "en-IT")), "MX": ("MXN", ("en-MX", "es-MX")),
    "NL": ("EUR", ("nl-NL", "en-NL")), "NZ": ("NZD", ("en-NZ",)),
    "NO": ("NOK", ("nb-NO", "en-NO")), "PL": ("PLN", ("pl-PL", "en-PL")),
    "PT": ("EUR", ("pt-PT", "en-PT")), "RO": ("RON", ("ro-RO", "en-RO")),
    "SK": ("EUR", ("sk-SK", "en-SK")), "ES": ("EUR", ("es-ES", "en-ES")),
    "SE": ("SEK", ("sv-SE", "en-SE")), "CH": ("CHF", ("de-CH", "fr-CH", "it-CH", "en-CH")),
    "GB": ("GBP", ("en-GB",)), "US": ("USD", ("en-US", "es-US")),
}

KP_LINE_TYPES = ("physical", "discount", "shipping_fee", "sales_tax", "digital",
                 "gift_card", "store_credit", "surcharge")
OM_LINE_TYPES = KP_LINE_TYPES + ("return_fee",)
SHIPPING_METHODS = ("PickUpStore", "Home", "BoxReg", "BoxUnreg", "PickUpPoint", "Own", "Postal",
                    "DHLPackstation", "Digital", "Undefined", "PickUpWarehouse", "ClickCollect",
                    "PalletDelivery")


@dataclass(frozen=True)
class Problem:
    path: str
    kind: str  # "missing", "type", "size"
    limit: tuple | None = None


# ----- declarative field rules ---------------------------------------------------------------

def text(max_len: int, min_len: int = 0, pattern: str | None = None):
    return ("str", min_len, max_len, re.compile(pattern) if pattern else None)


def integer(minimum: int = -MAX_AMOUNT, maximum: int = MAX_AMOUNT):
    return ("int", minimum, maximum)


def one_of(*values: str):
    return ("enum", values)


def obj(fields: dict, required: tuple = ()):
    return ("obj", fields, required)


def array(item, max_items: int, min_items: int = 0):
    return ("list", item, min_items, max_items)


FLAG = ("bool",)
ANY = ("any",)
COUNTRY = text(2, 2, r"^[A-Za-z]{2}$")


def check(value, rule, path: str = "") -> list[Problem]:
    kind = rule[0]
    if kind == "any":
        return []
    if kind == "str":
        _, low, high, pattern = rule
        if not isinstance(value, str):
            return [Problem(path, "type")]
        if pattern is not None and not pattern.match(value):
            return [Problem(path, "type")]
        return [] if low <= len(value) <= high else [Problem(path, "size", (low, high))]
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            return [Problem(path, "type")]
        return [] if rule[1] <= value <= rule[2] else [Problem(path, "type")]
    if kind == "bool":
        return [] if isinstance(value, bool) else [Problem(path, "type")]
    if kind == "enum":
        return [] if value in rule[1] else [Problem(path, "type")]
    if kind == "list":
        _, item, low, high = rule
        if not isinstance(value, list):
            return [Problem(path, "type")]
        problems = [] if low <= len(value) <= high else [Problem(path, "size", (low, high))]
        for index, element in enumerate(value):
            problems += check(element, item, f"{path}[{index}]")
        return problems
    _, fields, required = rule
    if not isinstance(value, dict):
        return [Problem(path, "type")]
    prefix = f"{path}." if path else ""
    problems = [Problem(prefix + name, "missing") for name in required if value.get(name) is None]
    for name, field_rule in fields.items():
        if value.get(name) is not None:
            problems += check(value[name], field_rule, prefix + name)
    return problems


PRODUCT_IDENTIFIERS = obj({
    "brand": text(70), "category_path": text(750), "global_trade_item_number": text(50),
    "manufacturer_part_number": text(70), "color": text(64), "size": text(64),
})
SUBSCRIPTION = obj({"name": text(255), "interval": one_of("DAY", "WEEK", "MONTH", "YEAR"),
                    "interval_count": integer(1)}, ("name", "interval", "interval_count"))


def _line(types: tuple, name_min: int, quantity_unit: tuple):
    return obj({
        "type": one_of(*types), "reference": text(255), "name": text(255, name_min),
        "quantity": integer(0), "quantity_unit": quantity_unit,
        "unit_price": integer(), "tax_rate": integer(0, RATE_SCALE), "total_amount": integer(),
        "total_discount_amount": integer(0), "total_tax_amount": integer(),
        "merchant_data": text(1024), "product_url": text(1024), "image_url": text(1024),
        "product_identifiers": PRODUCT_IDENTIFIERS, "subscription": SUBSCRIPTION,
    }, ("name", "quantity", "unit_price", "total_amount"))


KP_LINE = _line(KP_LINE_TYPES, 1, text(8, 1))
OM_LINE = _line(OM_LINE_TYPES, 0, text(10))


def _address(limit: int):
    names = ("given_name", "family_name", "email", "street_address", "street_address2", "city",
             "region", "phone", "organization_name", "attention")
    return obj({**{n: text(limit) for n in names}, "title": text(20), "postal_code": text(10),
                "country": COUNTRY})


KP_ADDRESS = _address(99)
OM_ADDRESS = _address(100)
URLS = obj({name: text(2000) for name in ("confirmation", "notification", "push", "authorization")})

SESSION_FIELDS = {
    "purchase_country": COUNTRY, "purchase_currency": text(3, 3, r"^[A-Za-z]{3}$"),
    "locale": text(35, 2, r"^[A-Za-z]{2}(?:-[A-Za-z]{2})*$"), "order_amount": integer(0),
    "order_tax_amount": integer(0), "order_lines": array(KP_LINE, MAX_LINES, 1),
    "intent": one_of("buy", "tokenize", "buy_and_tokenize"),
    "acquiring_channel": one_of("ECOMMERCE", "IN_STORE", "TELESALES"),
    "merchant_reference1": text(255), "merchant_reference2": text(255),
    "merchant_data": text(6000), "merchant_urls": URLS, "billing_address": KP_ADDRESS,
    "shipping_address": KP_ADDRESS, "customer": obj({}),
    "attachment": obj({"content_type": text(255), "body": text(100_000)}), "options": obj({}),
    "custom_payment_method_ids": array(text(255), 100), "design": text(255),
}
ORDER_REQUIRED = ("purchase_country", "purchase_currency", "order_amount", "order_lines")
KP_SESSION = obj(SESSION_FIELDS, ORDER_REQUIRED)
KP_ORDER = obj({**SESSION_FIELDS, "auto_capture": FLAG}, ORDER_REQUIRED)

SHIPPING_INFO = obj({
    "shipping_company": text(100), "shipping_method": one_of(*SHIPPING_METHODS),
    "tracking_number": text(100), "tracking_uri": text(1024), "return_shipping_company": text(100),
    "return_tracking_number": text(100), "return_tracking_uri": text(1024),
})
CAPTURE = obj({"captured_amount": integer(0), "description": text(255), "reference": text(255),
               "order_lines": array(OM_LINE, MAX_LINES), "shipping_info": array(SHIPPING_INFO, 500),
               "shipping_delay": integer(0)}, ("captured_amount",))
REFUND = obj({"refunded_amount": integer(0), "description": text(255), "reference": text(255),
              "order_lines": array(OM_LINE, MAX_LINES)}, ("refunded_amount",))
UPDATE_AUTHORIZATION = obj({"order_amount": integer(0), "description": text(255),
                            "order_lines": array(OM_LINE, MAX_LINES)}, ("order_amount",))
MERCHANT_REFERENCES = obj({"merchant_reference1": text(255), "merchant_reference2": text(255)})
CUSTOMER_DETAILS = obj({"billing_address": OM_ADDRESS, "shipping_address": OM_ADDRESS})
SHIPPING_INFO_UPDATE = obj({"shipping_info": array(SHIPPING_INFO, 500, 1)}, ("shipping_info",))
EXTEND_DUE_DATE = obj({"number_of_days": integer(1, 365)}, ("number_of_days",))


# ----- country table and arithmetic ---------------------------------------------------------

def check_market(data: dict) -> list[str]:
    """Country/currency/locale combination (§7, §6.1 rule 9). Returns bad field names."""
    country = str(data.get("purchase_country", "")).upper()
    if country not in COUNTRIES:
        return ["purchase_country"]
    currency, locales = COUNTRIES[country]
    bad = []
    if str(data.get("purchase_currency", "")).upper() != currency:
        bad.append("purchase_currency")
    locale = data.get("locale")
    if locale is not None:
        allowed = {loc.lower() for loc in locales} | {loc[:2].lower() for loc in locales}
        if locale.lower() not in allowed:
            bad.append("locale")
    return bad


def line_tax_ok(total_amount: int, tax_rate: int, total_tax_amount: int) -> bool:
    """Rule 3: |tax − total × rate / (10000 + rate)| ≤ 1, compared exactly in integers."""
    denominator = RATE_SCALE + tax_rate
    return abs(total_tax_amount * denominator - total_amount * tax_rate) <= denominator


def check_arithmetic(data: dict) -> list[str]:
    """Rules 1, 3, 5 and 6 of API.md §6.1. Returns the bad field paths."""
    bad = []
    lines = data["order_lines"]
    for index, line in enumerate(lines):
        expected = line["quantity"] * line["unit_price"] - line.get("total_discount_amount", 0)
        if line["total_amount"] != expected:
            bad.append(f"order_lines[{index}].total_amount")
        rate = line.get("tax_rate")
        if rate is not None and not line_tax_ok(line["total_amount"], rate, line.get("total_tax_amount", 0)):
            bad.append(f"order_lines[{index}].total_tax_amount")
    if data["order_amount"] != sum(line["total_amount"] for line in lines):
        bad.append("order_amount")
    line_tax = sum(line.get("total_tax_amount", 0) for line in lines)
    if abs(data.get("order_tax_amount", 0) - line_tax) > len(lines):
        bad.append("order_tax_amount")
    return bad


def order_problems(data: dict, rule=KP_SESSION) -> list[str]:
    """All problems of a KP session / create-order body as field paths, shape first."""
    shape = check(data, rule)
    if shape:
        return [problem.path for problem in shape]
    return check_market(data) + check_arithmetic(data)
