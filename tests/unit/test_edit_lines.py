"""Order edits as lines, with hypothesis: whatever the merchant asks, the lines sent to Klarna follow Klarna's
arithmetic (API.md §6.1), the order discount is split per VAT rate to the cent, and what was shipped stays."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.models import Product, ShopVersion, VatRate
from shop.money import divide_rounded, vat_of_gross
from shop.payments.edit_lines import EditInvalid, EditRequest, LineChange, ProposedLine, propose, stock_changes
from shop.payments.edits import ADJUSTMENT_REFERENCE, klarna_body

RATES = (2550, 1400, 1000, 0)
NAMES = {"discount": "Alennus", "payment_fee": "Maksutapalisä"}


@functools.cache
def version() -> ShopVersion:
    return ShopVersion(code="fi", name="Suomi", country="FI", currency="EUR", locale="fi-FI",
                       exchange_rate=Decimal(1), vat_rates=[VatRate(tax_class=tax_class, rate=rate) for tax_class, rate
                                                           in zip(("standard", "reduced", "low", "zero"), RATES)])


goods_line = st.tuples(st.integers(1, 9), st.integers(1, 50_000), st.sampled_from(RATES), st.integers(0, 9))


@dataclass
class Line:
    """What `propose` reads of an order line (a plain object: hypothesis makes thousands)."""

    id: int
    product_id: int | None
    kind: str
    reference: str
    name: str
    quantity: int
    unit_price: int
    tax_rate: int
    discount: int = 0
    shipped_quantity: int = 0

    @property
    def total(self) -> int:
        return self.quantity * self.unit_price - self.discount


@dataclass
class FakeOrder:
    lines: list[Line] = field(default_factory=list)

    @property
    def goods_lines(self) -> list[Line]:
        return [line for line in self.lines if line.kind == "physical"]


def order_of(goods, shipping: int) -> FakeOrder:
    lines = [Line(index + 1, index + 1, "physical", f"SKU-{index}", f"Item {index}", quantity, price, rate,
                  shipped_quantity=min(shipped, quantity))
             for index, (quantity, price, rate, shipped) in enumerate(goods)]
    return FakeOrder(lines + [Line(99, None, "shipping_fee", "shipping", "Posti", 1, shipping, 2550)])


@st.composite
def edits(draw):
    goods = draw(st.lists(goods_line, min_size=1, max_size=4))
    order = order_of(goods, draw(st.integers(0, 2000)))
    changes = {}
    for line in order.goods_lines:
        if draw(st.booleans()):
            keep_price = line.shipped_quantity or draw(st.booleans())
            changes[line.id] = LineChange(
                quantity=draw(st.integers(line.shipped_quantity, 12)),
                unit_price=line.unit_price if keep_price else draw(st.integers(0, 50_000)),
                tax_rate=line.tax_rate if keep_price else draw(st.sampled_from(RATES)))
    by_percent = draw(st.booleans())
    request = EditRequest(revision=0, lines=changes, payment_fee=draw(st.sampled_from((0, 150, 395))),
                          discount_amount=0 if by_percent else draw(st.integers(0, 30_000)),
                          discount_percent=draw(st.integers(0, 10_000)) if by_percent else 0)
    return order, request


@given(edits(), st.integers(-5_000, 5_000))
def test_whatever_is_asked_klarna_gets_lines_that_add_up_and_shipped_units_stay(edit, others):
    order, request = edit
    try:
        lines = propose(order, request, {}, version(), NAMES, {})
    except EditInvalid:
        return
    _discount_is_split_exactly(request, lines)
    _shipped_units_stay(order, lines)
    total = sum(line.total for line in lines)
    if total - others >= 0:
        _klarna_body_adds_up(lines, total - others, others)


def _discount_is_split_exactly(request: EditRequest, lines: list[ProposedLine]) -> None:
    goods = sum(line.total for line in lines if line.kind == "physical")
    discounts = [line for line in lines if line.kind == "discount"]
    asked = request.discount_amount or divide_rounded(goods * request.discount_percent, 10000)
    assert -sum(line.total for line in discounts) == asked
    for line in discounts:  # never more than the goods at its rate
        assert -line.total <= sum(other.total for other in lines if other.kind == "physical"
                                  and other.tax_rate == line.tax_rate)


def _shipped_units_stay(order: FakeOrder, lines: list[ProposedLine]) -> None:
    after = {line.line_id: line for line in lines}
    for line in order.goods_lines:
        if line.shipped_quantity:
            kept = after[line.id]
            assert kept.quantity >= line.shipped_quantity
            assert (kept.unit_price, kept.tax_rate) == (line.unit_price, line.tax_rate)
    before = [ProposedLine(line.id, line.product_id, line.kind, line.reference, line.name, line.quantity,
                           line.unit_price, line.tax_rate) for line in order.lines]
    changes = stock_changes(before, lines, {line.product_id for line in order.goods_lines})
    assert sum(changes.values()) == sum(line.quantity for line in lines if line.kind == "physical") \
        - sum(line.quantity for line in order.goods_lines)


def _klarna_body_adds_up(lines: list[ProposedLine], amount: int, others: int) -> None:
    body = klarna_body(lines, amount, "Muut maksut")
    assert body["order_amount"] == amount == sum(line["total_amount"] for line in body["order_lines"])
    for line in body["order_lines"]:
        assert line["total_amount"] == line["quantity"] * line["unit_price"] - line["total_discount_amount"]
        assert abs(line["total_tax_amount"] - vat_of_gross(line["total_amount"], line["tax_rate"])) <= 1
    adjustments = [line for line in body["order_lines"] if line["reference"] == ADJUSTMENT_REFERENCE]
    assert len(adjustments) == (others != 0)
    if others:
        assert adjustments[0]["type"] == ("discount" if others > 0 else "surcharge")


def test_an_added_product_already_ordered_adds_to_its_line():
    order = order_of([(1, 8990, 2550, 0)], 590)
    shoe = Product(id=1, sku="SKU-0", slug="shoe", name="Item 0", category_id=1, price=8990, tax_class="standard",
                   stock=10)
    lines = propose(order, EditRequest(revision=0, lines={}, added=((1, 2),)), {1: shoe}, version(), NAMES, {1: 8990})
    assert [(line.reference, line.quantity) for line in lines] == [("SKU-0", 3), ("shipping", 1)]


@pytest.mark.parametrize("request_, field", [
    (EditRequest(revision=0, lines={1: LineChange(0, 8990, 2550)}), "line_1"),  # one shipped: not below it
    (EditRequest(revision=0, lines={1: LineChange(2, 7990, 2550)}), "line_1"),  # shipped units keep their price
    (EditRequest(revision=0, lines={}, shipping_fee=0), "shipping_fee"),  # charged with the first shipment
    (EditRequest(revision=0, lines={}, payment_fee=150), "payment_fee"),  # fees go with the first capture
    (EditRequest(revision=0, lines={}, discount_amount=100, discount_percent=1000), "discount_amount"),
    (EditRequest(revision=0, lines={}, discount_amount=10**6), "discount_amount"),
])
def test_what_cannot_be_saved_names_its_field(request_, field):
    order = order_of([(2, 8990, 2550, 1)], 590)
    with pytest.raises(EditInvalid) as refused:
        propose(order, request_, {}, version(), NAMES, {})
    assert field in refused.value.errors
