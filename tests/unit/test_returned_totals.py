"""A return lowers a line's total by exactly what the refund of those units sends Klarna (no floats)."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shop.models import OrderLine
from shop.payments.order_lines import LineItem, portion


@st.composite
def returned_lines(draw):
    quantity = draw(st.integers(1, 50))
    unit_price = draw(st.integers(1, 200_000))
    discount = draw(st.integers(0, quantity * unit_price))
    rate = draw(st.sampled_from((2550, 2500, 1400, 1200, 1000, 600, 0)))
    returns = draw(st.lists(st.integers(1, quantity), max_size=5))
    return quantity, unit_price, discount, rate, returns


@given(returned_lines())
def test_each_return_lowers_the_line_by_its_refund_portion(case):
    quantity, unit_price, discount, rate, returns = case
    line = OrderLine(order_id=1, reference="SKU", name="Thing", quantity=quantity, unit_price=unit_price,
                     tax_rate=rate, discount=discount)
    item = LineItem(kind="physical", reference="SKU", name="Thing", quantity=quantity, unit_price=unit_price,
                    tax_rate=rate, discount=discount)
    refunded = 0
    for units in returns:
        units = min(units, quantity - line.returned_quantity)
        if not units:
            continue
        before = line.total
        line.returned_quantity += units
        refund = portion([item], {"SKU": units}, already={"SKU": refunded})
        refunded += units
        assert before - line.total == refund.amount >= 0
    assert line.total + line.returned_total == line.ordered_total
    assert 0 <= line.total <= line.ordered_total
    if line.returned_quantity == quantity:
        assert line.total == 0
