"""The order-line engine against Klarna's amount and tax rules (API.md §1.7, §6) and OpenAPI schemas."""
from __future__ import annotations

import functools
from fractions import Fraction

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from jsonschema import Draft4Validator

from shop.payments.order_lines import (
    MAX_AMOUNT,
    LineItem,
    Portion,
    format_rate,
    klarna_line,
    klarna_lines,
    order_amounts,
    order_payload,
    portion,
    remaining_quantities,
    split_cart_discount,
)
from tests import klarna_contract

MARKETS = {
    "FI": {"currency": "EUR", "locale": "fi-FI", "rates": (2550, 1400, 1000, 0)},
    "SE": {"currency": "SEK", "locale": "sv-SE", "rates": (2500, 1200, 600)},
}
CONTRACT_FILES = [klarna_contract.openapi_dir() / name for name in ("payments.json", "ordermanagement.json")]
HAVE_CONTRACT = all(path.is_file() for path in CONTRACT_FILES)


@functools.cache
def contract_validator(api: str, schema_name: str) -> Draft4Validator:
    return Draft4Validator(klarna_contract.request_schema(api, schema_name))


def check_contract(api: str, schema_name: str, instance: object) -> None:
    """Validate against Klarna's OpenAPI schema when the spec files are there (see the test below).

    The property tests validate thousands of bodies, so a validator is built once per schema;
    klarna_contract.validate only runs to report what is wrong.
    """
    if HAVE_CONTRACT and not contract_validator(api, schema_name).is_valid(instance):
        klarna_contract.validate(api, schema_name, instance)
        raise AssertionError(f"{api} {schema_name}: invalid {instance!r}")


def test_klarna_openapi_files_are_present():
    if not HAVE_CONTRACT:
        pytest.skip("Klarna OpenAPI files not found in ../shared/klarna/openapi; contract checks skipped")


# --- Klarna's rules, written out independently of the engine -----------------------------------


def assert_line_rules(line: dict) -> None:
    """API.md §6.1 rules 1-4 (rule 7 in its precise form is rule 3) for one order line."""
    total, tax, rate = line["total_amount"], line["total_tax_amount"], line["tax_rate"]
    # 1. total_amount = quantity x unit_price - total_discount_amount, exactly
    assert total == line["quantity"] * line["unit_price"] - line["total_discount_amount"], line
    # 2. the discount (VAT included, like unit_price) is never negative
    assert line["total_discount_amount"] >= 0, line
    # 3./7. tax within +-1 of the tax part of the total, with the total's sign
    assert abs(tax - Fraction(total * rate, 10000 + rate)) <= 1, line
    assert tax * total >= 0, line
    # 4. discounts are negative lines with negative tax; gift cards and store credit carry no tax
    if line["type"] in ("discount", "gift_card", "store_credit"):
        assert line["unit_price"] <= 0 and total <= 0 and tax <= 0, line
    else:
        assert line["unit_price"] >= 0 and total >= 0, line
    if line["type"] in ("gift_card", "store_credit"):
        assert rate == 0 and tax == 0, line


def assert_order_rules(payload: dict) -> None:
    """API.md §6.1 rules 1-7 for a whole order body, plus the discount lines' rates."""
    lines = payload["order_lines"]
    for line in lines:
        assert_line_rules(line)
        # 3. a whole line's tax is the tax part rounded to nearest
        exact = Fraction(line["total_amount"] * line["tax_rate"], 10000 + line["tax_rate"])
        assert abs(line["total_tax_amount"] - exact) <= Fraction(1, 2), line
    assert payload["order_amount"] == sum(line["total_amount"] for line in lines)  # 5.
    assert payload["order_tax_amount"] == sum(line["total_tax_amount"] for line in lines)  # 6.
    goods_rates = {line["tax_rate"] for line in lines if line["type"] in ("physical", "digital")}
    for line in lines:
        if line["type"] == "discount":  # 4. same rate as the goods it discounts
            assert line["tax_rate"] in goods_rates, line


def fi_example(rate: int) -> list[LineItem]:
    """API.md §6.2: running shoes with 10 % off, shipping, a 5 EUR voucher."""
    return [
        LineItem("physical", "SHOE-42", "Running shoe", 2, 8990, rate, discount=1798),
        LineItem("shipping_fee", "shipping", "Shipping", 1, 495, rate),
        LineItem("discount", "voucher", "Voucher -5 EUR", 1, -500, rate),
    ]


def expected_line(kind, reference, name, quantity, unit_price, rate, total, discount, tax) -> dict:
    return {
        "type": kind, "reference": reference, "name": name, "quantity": quantity, "quantity_unit": "pcs",
        "unit_price": unit_price, "tax_rate": rate, "total_amount": total, "total_discount_amount": discount,
        "total_tax_amount": tax,
    }


# --- API.md worked examples --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "taxes", "order_tax"),
    [
        (2400, (3132, 96, -97), 3131),  # the numbers printed in API.md §6.2
        (2550, (3288, 101, -102), 3287),  # the same cart at the Finnish rate since 1 Sep 2024
    ],
)
def test_worked_example_finland(rate, taxes, order_tax):
    payload = order_payload(fi_example(rate), purchase_country="FI", purchase_currency="EUR", locale="fi-FI")

    assert payload["order_lines"] == [
        expected_line("physical", "SHOE-42", "Running shoe", 2, 8990, rate, 16182, 1798, taxes[0]),
        expected_line("shipping_fee", "shipping", "Shipping", 1, 495, rate, 495, 0, taxes[1]),
        expected_line("discount", "voucher", "Voucher -5 EUR", 1, -500, rate, -500, 0, taxes[2]),
    ]
    assert (payload["order_amount"], payload["order_tax_amount"]) == (16177, order_tax)
    assert_order_rules(payload)
    check_contract("payments", "session_create", payload)


@pytest.mark.parametrize("rate", [2400, 2550])
def test_worked_example_finland_capture_and_shipping_refund(rate):
    items = fi_example(rate)
    order_tax = order_amounts(klarna_lines(items))[1]

    capture = portion(items, remaining_quantities(items, {}))
    assert (capture.amount, capture.tax_amount) == (16177, order_tax)
    assert capture.lines == klarna_lines(items)

    refund = portion(items, {"shipping": 1})
    assert refund.amount == 495
    assert refund.lines == [klarna_line(items[1])]


def test_worked_example_finland_voucher_as_cart_discount():
    shoe, shipping, voucher = fi_example(2400)
    [line] = split_cart_discount(500, [shoe, shipping], reference="voucher", name="Voucher -5 EUR")
    assert line == voucher


def test_worked_example_sweden():
    items = [
        LineItem("physical", "TSHIRT", "T-shirt", 3, 19900, 2500),
        LineItem("physical", "CAP", "Cap", 1, 9999, 2500),
        LineItem("shipping_fee", "shipping", "Shipping", 1, 4900, 2500),
    ]
    payload = order_payload(items, purchase_country="SE", purchase_currency="SEK", locale="sv-SE")

    assert [(line["total_amount"], line["total_tax_amount"]) for line in payload["order_lines"]] == [
        (59700, 11940), (9999, 2000), (4900, 980)
    ]
    assert {key: payload[key] for key in ("purchase_country", "purchase_currency", "locale")} == {
        "purchase_country": "SE", "purchase_currency": "SEK", "locale": "sv-SE"
    }
    assert (payload["order_amount"], payload["order_tax_amount"]) == (74599, 14920)
    assert_order_rules(payload)
    check_contract("payments", "session_create", payload)


# --- single lines and validation ---------------------------------------------------------------


def test_zero_price_and_zero_quantity_lines_are_harmless():
    free = LineItem("physical", "GIFT-WRAP", "Gift wrap", 1, 0, 2550)
    none = LineItem("digital", "EBOOK", "E-book", 0, 1990, 1000)
    assert klarna_line(free) == expected_line("physical", "GIFT-WRAP", "Gift wrap", 1, 0, 2550, 0, 0, 0)
    assert klarna_line(none)["total_amount"] == klarna_line(none)["total_tax_amount"] == 0
    payload = order_payload([free, none], purchase_country="FI", purchase_currency="EUR", locale="en-FI")
    assert (payload["order_amount"], payload["order_tax_amount"]) == (0, 0)
    assert_order_rules(payload)
    check_contract("payments", "session_create", payload)


def test_gift_card_and_store_credit_are_negative_and_untaxed():
    for kind in ("gift_card", "store_credit"):
        line = klarna_line(LineItem(kind, kind, "Paid with credit", 1, -2500, 0))
        assert (line["total_amount"], line["tax_rate"], line["total_tax_amount"]) == (-2500, 0, 0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quantity": -1}, "negative quantity"),
        ({"tax_rate": -1}, "tax rate"),
        ({"tax_rate": 10001}, "tax rate"),
        ({"kind": "sales_tax"}, "unknown kind"),
        ({"kind": "return_fee"}, "unknown kind"),
        ({"discount": 2 * 1000 + 1}, "exceeds the line's gross"),
        ({"discount": -1}, "negative discount"),
        ({"unit_price": -1}, "unit_price >= 0"),
        ({"kind": "discount"}, "unit_price <= 0"),
        ({"kind": "gift_card", "tax_rate": 0}, "unit_price <= 0"),
        ({"kind": "store_credit", "unit_price": -1000, "tax_rate": 0}, "cannot itself be discounted"),
        ({"kind": "gift_card", "unit_price": -1000}, "tax_rate must be 0"),
        ({"name": ""}, "name"),
        ({"quantity_unit": "boxes of 12"}, "quantity_unit"),
        ({"unit_price": 100_000_001}, "Klarna's limit"),
    ],
)
def test_invalid_line_items_are_rejected(changes, message):
    fields = {"kind": "physical", "reference": "SKU", "name": "Thing", "quantity": 2, "unit_price": 1000,
              "tax_rate": 2550, "discount": 10} | changes
    with pytest.raises(ValueError, match=message):
        LineItem(**fields)


@pytest.mark.parametrize("field", ["quantity", "unit_price", "tax_rate", "discount"])
def test_amounts_are_integers_never_floats(field):
    fields = {"kind": "physical", "reference": "SKU", "name": "Thing", "quantity": 1, "unit_price": 1000,
              "tax_rate": 2550, field: 1.0}
    with pytest.raises(TypeError, match=field):
        LineItem(**fields)


def test_order_payload_guards():
    shoe, shipping, voucher = fi_example(2550)
    market = {"purchase_country": "FI", "purchase_currency": "EUR", "locale": "fi-FI"}
    payload = order_payload([shoe], **market, merchant_reference1="ON-1001")
    assert payload["merchant_reference1"] == "ON-1001"
    check_contract("payments", "session_create", payload)
    with pytest.raises(ValueError, match="overwrite"):
        order_payload([shoe], **market, order_amount=1)
    with pytest.raises(ValueError, match="1..1000 lines"):
        order_payload([], **market)
    with pytest.raises(ValueError, match="duplicate line reference"):
        order_payload([shoe, shoe], **market)
    with pytest.raises(ValueError, match="negative"):
        order_payload([shipping, voucher], **market)


@pytest.mark.parametrize(
    ("rate", "text"), [(2550, "25.5"), (2500, "25"), (1234, "12.34"), (1205, "12.05"), (0, "0")]
)
def test_format_rate(rate, text):
    assert format_rate(rate) == text


# --- cart discounts ----------------------------------------------------------------------------


def test_cart_discount_is_split_over_goods_rates_not_shipping():
    items = [
        LineItem("physical", "COFFEE", "Coffee", 1, 10000, 1400),
        LineItem("physical", "MUG", "Mug", 2, 10000, 2550, discount=10000),
        LineItem("digital", "GUIDE", "Brewing guide", 1, 10000, 2550),
        LineItem("shipping_fee", "shipping", "Shipping", 1, 100000, 2550),
        LineItem("physical", "BOOK", "Book", 1, 0, 1000),
    ]
    lines = split_cart_discount(1000, items, reference="SUMMER", name="Summer sale")
    # goods: 20000 at 25.5 %, 10000 at 14 % -> 666.67 and 333.33 -> 667 and 333
    assert [(line.reference, line.name, line.unit_price, line.tax_rate) for line in lines] == [
        ("SUMMER-2550", "Summer sale (VAT 25.5 %)", -667, 2550),
        ("SUMMER-1400", "Summer sale (VAT 14 %)", -333, 1400),
    ]
    assert all(line.kind == "discount" and line.quantity == 1 for line in lines)
    payload = order_payload(items + lines, purchase_country="FI", purchase_currency="EUR", locale="fi-FI")
    assert_order_rules(payload)


def test_cart_discount_limits():
    goods = [
        LineItem("physical", "A", "A", 1, 999, 2500),
        LineItem("shipping_fee", "ship", "Shipping", 1, 500, 2500),
    ]
    assert split_cart_discount(0, goods) == []
    [whole] = split_cart_discount(999, goods)
    assert (whole.reference, whole.name, whole.unit_price) == ("discount", "Discount", -999)
    with pytest.raises(ValueError, match="exceeds the discountable goods total 999"):
        split_cart_discount(1000, goods)
    with pytest.raises(ValueError, match="positive amount"):
        split_cart_discount(-1, goods)
    # a second discount only reduces what the first one left
    with pytest.raises(ValueError, match="exceeds the discountable goods total 499"):
        split_cart_discount(500, goods + split_cart_discount(500, goods, reference="first"))


def test_cart_discount_remainder_ties_go_to_the_higher_rate():
    items = [LineItem("physical", "A", "A", 1, 100, 2500), LineItem("physical", "B", "B", 1, 100, 1200)]
    assert [line.unit_price for line in split_cart_discount(3, items)] == [-2, -1]


# --- portions (captures and refunds) -----------------------------------------------------------


def test_portion_puts_the_uneven_remainder_in_the_discount():
    item = LineItem("physical", "SOCKS", "Socks", 3, 1000, 2550, discount=100)
    parts = [portion([item], {"SOCKS": 1}, already={"SOCKS": taken}) for taken in range(3)]
    lines = [part.lines[0] for part in parts]
    assert [line["total_discount_amount"] for line in lines] == [33, 34, 33]
    assert [line["total_amount"] for line in lines] == [967, 966, 967]
    assert sum(line["total_tax_amount"] for line in lines) == item.tax
    for line in lines:
        assert_line_rules(line)


def test_portion_tax_stays_within_one_where_prorating_the_tax_would_not():
    # item tax 3 (17 at 25.5 %); units 3 of 4 total 5, whose tax part is 1.016. Prorating the item's
    # tax (round(3*3/4) - round(3*2/4) = 0) would miss by more than 1; the engine gives 1.
    item = LineItem("physical", "X", "X", 4, 5, 2550, discount=3)
    part = portion([item], {"X": 1}, already={"X": 2})
    assert (part.lines[0]["total_amount"], part.lines[0]["total_tax_amount"]) == (5, 1)


def test_portion_and_remaining_quantities_guards():
    items = fi_example(2550)
    assert portion(items, {}) == Portion(lines=[], amount=0, tax_amount=0)
    assert remaining_quantities(items, {"SHOE-42": 1}) == {"SHOE-42": 1, "shipping": 1, "voucher": 1}
    assert remaining_quantities(items, {"SHOE-42": 2, "shipping": 1, "voucher": 1}) == {}
    with pytest.raises(ValueError, match="no line with reference 'HAT'"):
        portion(items, {"HAT": 1})
    with pytest.raises(ValueError, match="only 1 left"):
        portion(items, {"SHOE-42": 2}, already={"SHOE-42": 1})
    with pytest.raises(ValueError, match="outside 0..2"):
        portion(items, {"SHOE-42": -1})
    with pytest.raises(ValueError, match="outside 0..1"):
        remaining_quantities(items, {"shipping": 2})


# --- generated carts ---------------------------------------------------------------------------

GOODS = ("physical", "physical", "physical", "digital")
CREDITS = ("gift_card", "store_credit")
KINDS = GOODS + CREDITS + ("surcharge", "discount")
SHIPPING_MAX = 10_000
PRICES = st.integers(0, 1_000_000) | st.integers(0, 30)  # small prices: where rounding bites


@st.composite
def carts(draw) -> tuple[str, list[LineItem]]:
    """A market and its cart: 1..30 goods, credits and discounts, maybe shipping and a cart discount.

    Quantities shrink once the goods near Klarna's limit for an order amount.
    """
    country = draw(st.sampled_from(sorted(MARKETS)))
    rates = MARKETS[country]["rates"]
    budget = MAX_AMOUNT - SHIPPING_MAX
    items = []
    for number in range(draw(st.integers(1, 30))):
        kind = draw(st.sampled_from(GOODS if number == 0 else KINDS))  # goods first, so a discount has a rate
        reference = f"L{number}"
        if kind in CREDITS:
            items.append(LineItem(kind, reference, "Credit", 1, -draw(st.integers(0, 100_000)), 0))
        elif kind == "discount":  # reduces goods of its own rate
            rate = draw(st.sampled_from(sorted({item.tax_rate for item in items if item.kind in GOODS})))
            quantity, price = draw(st.integers(1, 3)), -draw(st.integers(0, 100_000))
            items.append(LineItem(kind, reference, "Voucher", quantity, price, rate))
        else:
            price = draw(PRICES)
            quantity = draw(st.integers(0, min(50, budget // price) if price else 50))
            budget -= quantity * price
            discount = draw(st.integers(0, quantity * price)) if draw(st.booleans()) else 0
            rate = draw(st.sampled_from(rates))
            items.append(LineItem(kind, reference, f"Item {number}", quantity, price, rate, discount))
    if draw(st.booleans()):
        shipping = draw(st.integers(0, SHIPPING_MAX))
        items.append(LineItem("shipping_fee", "shipping", "Shipping", 1, shipping, rates[0]))
    goods_total = sum(item.total for item in items if item.kind in GOODS or item.kind == "discount")
    if goods_total > 0 and draw(st.booleans()):
        items += split_cart_discount(draw(st.integers(0, goods_total)), items, reference="cart-discount")
    return country, items


def check_order(country: str, items: list[LineItem]) -> None:
    """The order body follows every rule and Klarna's schema, or is refused when Klarna would refuse it."""
    market = MARKETS[country]
    amount, tax = order_amounts(klarna_lines(items))
    build = functools.partial(
        order_payload, items, purchase_country=country, purchase_currency=market["currency"],
        locale=market["locale"], merchant_reference1="ON-1",
    )
    if amount < 0 or tax < 0:  # credits beyond the goods: refused, never sent to Klarna
        event("order refused: negative amount or tax")
        with pytest.raises(ValueError, match="negative"):
            build()
        return
    payload = build()
    assert (payload["order_amount"], payload["order_tax_amount"]) == (amount, tax)
    assert_order_rules(payload)
    check_contract("payments", "session_create", payload)


def check_portions(items: list[LineItem], splits: list[dict[str, int]]) -> None:
    """Taken one after another, the portions are valid captures and add up exactly to the order."""
    amount, tax = order_amounts(klarna_lines(items))
    taken = dict.fromkeys((item.reference for item in items), 0)
    parts = []
    for quantities in splits:
        left = {item.reference: item.quantity - taken[item.reference] for item in items}
        assert remaining_quantities(items, taken) == {ref: count for ref, count in left.items() if count}
        part = portion(items, quantities, already=taken)
        parts.append(part)
        taken = {ref: count + quantities[ref] for ref, count in taken.items()}
        assert (part.amount, part.tax_amount) == order_amounts(part.lines)
        for line in part.lines:
            assert_line_rules(line)
        if part.amount >= 0:
            capture = {"captured_amount": part.amount, "order_lines": part.lines}
            check_contract("ordermanagement", "CaptureObject", capture)
        else:  # credits outweigh goods: no capture on its own, but still valid order lines
            for line in part.lines:
                check_contract("ordermanagement", "order_line", line)

    assert remaining_quantities(items, taken) == {}
    assert sum(part.amount for part in parts) == amount
    assert sum(part.tax_amount for part in parts) == tax
    for item in items:
        lines = [line for part in parts for line in part.lines if line["reference"] == item.reference]
        for key, whole in (("total_amount", item.total), ("total_discount_amount", item.discount),
                           ("total_tax_amount", item.tax), ("quantity", item.quantity)):
            assert sum(line[key] for line in lines) == whole


@st.composite
def split_carts(draw) -> tuple[str, list[LineItem], list[dict[str, int]]]:
    """A cart and a split of every item's quantity into 1..4 consecutive portions."""
    country, items = draw(carts())
    count = draw(st.integers(1, 4))
    splits: list[dict[str, int]] = [{} for _ in range(count)]
    for item in items:
        cuts = [0, *sorted(draw(st.integers(0, item.quantity)) for _ in range(count - 1)), item.quantity]
        for index, split in enumerate(splits):
            split[item.reference] = cuts[index + 1] - cuts[index]
    return country, items, splits


@given(split_carts())
def test_generated_orders_follow_klarna_rules_and_split_exactly_into_portions(cart):
    # One property test for both, so the costly cart generation runs once per example.
    country, items, splits = cart
    check_order(country, items)
    check_portions(items, splits)
