"""Klarna order lines from our line items: totals, VAT, cart discounts, partial captures and refunds.

Pure arithmetic on integer minor units (no I/O, no floats). Tax rates are hundredths of a
percent (25.5 % = 2550). Every amount is VAT-inclusive, as Klarna expects for EU markets.

The rules of Klarna's order line (API.md §1.7, §6.1) hold for every line built here:

1. ``total_amount == quantity * unit_price - total_discount_amount``;
2. ``total_discount_amount >= 0``;
3. ``total_tax_amount`` is within ±1 of ``total_amount * tax_rate / (10000 + tax_rate)``
   (for whole lines it is that value rounded to nearest, halves away from zero);
4. discount lines are negative with the rate of the goods they reduce; gift cards and
   store credit are negative with rate 0 and no tax;

and per order ``order_amount`` and ``order_tax_amount`` are the exact sums of the lines.

Choices made here:

* A cart-wide discount reduces goods only (``physical`` and ``digital`` lines, net of earlier
  discount lines at the same rate), never shipping fees or surcharges. It becomes one
  ``discount`` line per VAT rate, split in proportion to the goods total at each rate with
  the largest-remainder method, so the lines add up to the discount exactly.
* A portion (capture or refund) of ``q`` more units of an item, after ``a`` units were taken
  by earlier portions, is allocated cumulatively: with ``D(n) = round(discount * n / quantity)``
  the portion line keeps the item's ``unit_price`` and gets
  ``total_discount_amount = D(a + q) - D(a)`` and ``total_amount = q * unit_price - that``.
  So the remainder of an uneven split sits in ``total_discount_amount`` and rule 1 holds
  exactly. The portion tax is ``V(a + q) - V(a)`` where ``V(n)`` is the rounded VAT of the
  first ``n`` units' cumulative total, which keeps rule 3 within ±1 for every portion (rounding
  the item's tax by ``n / quantity`` instead can miss by up to 2.5). All portions of an item
  add up exactly to its total, discount and tax.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from shop.money import RATE_SCALE, divide_rounded, line_total, vat_of_gross

GOODS_KINDS = frozenset({"physical", "digital"})
POSITIVE_KINDS = GOODS_KINDS | {"shipping_fee", "surcharge"}
NEGATIVE_KINDS = frozenset({"discount", "gift_card", "store_credit"})
UNTAXED_KINDS = frozenset({"gift_card", "store_credit"})
KINDS = POSITIVE_KINDS | NEGATIVE_KINDS

MAX_AMOUNT = 100_000_000  # Klarna's limit for every amount field (API.md §0.9)
MAX_ORDER_LINES = 1000
MAX_TEXT = 255
MAX_QUANTITY_UNIT = 8  # KP allows 1..8 characters (OM allows 10)


def _require_int(field: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{field} must be an integer, got {value!r}")


@dataclass(frozen=True)
class LineItem:
    """One line of an order as the shop sees it; validated on construction."""

    kind: str
    reference: str
    name: str
    quantity: int
    unit_price: int  # minor units incl. VAT; negative for discount/gift_card/store_credit
    tax_rate: int  # hundredths of a percent
    discount: int = 0  # total discount of the line, incl. VAT
    quantity_unit: str = "pcs"

    def __post_init__(self) -> None:
        for field in ("quantity", "unit_price", "tax_rate", "discount"):
            _require_int(field, getattr(self, field))
        where = f"line {self.reference!r}"
        if self.kind not in KINDS:
            raise ValueError(f"{where}: unknown kind {self.kind!r}; expected one of {sorted(KINDS)}")
        if not 1 <= len(self.name) <= MAX_TEXT:
            raise ValueError(f"{where}: name must be 1..{MAX_TEXT} characters")
        if len(self.reference) > MAX_TEXT:
            raise ValueError(f"{where}: reference longer than {MAX_TEXT} characters")
        if not 1 <= len(self.quantity_unit) <= MAX_QUANTITY_UNIT:
            raise ValueError(f"{where}: quantity_unit must be 1..{MAX_QUANTITY_UNIT} characters")
        if self.quantity < 0:
            raise ValueError(f"{where}: negative quantity {self.quantity}")
        if not 0 <= self.tax_rate <= RATE_SCALE:
            raise ValueError(f"{where}: tax rate {self.tax_rate} outside 0..{RATE_SCALE}")
        if self.kind in UNTAXED_KINDS and self.tax_rate != 0:
            raise ValueError(f"{where}: {self.kind} lines carry no VAT (tax_rate must be 0)")
        if self.kind in NEGATIVE_KINDS:
            if self.unit_price > 0:
                raise ValueError(f"{where}: {self.kind} lines need a unit_price <= 0, got {self.unit_price}")
            if self.discount:
                raise ValueError(f"{where}: a {self.kind} line cannot itself be discounted")
        elif self.unit_price < 0:
            raise ValueError(f"{where}: {self.kind} lines need a unit_price >= 0, got {self.unit_price}")
        if self.discount < 0:
            raise ValueError(f"{where}: negative discount {self.discount}")
        gross = self.quantity * self.unit_price
        if self.discount > max(gross, 0):
            raise ValueError(f"{where}: discount {self.discount} exceeds the line's gross {gross}")
        for field, value in (("unit_price", self.unit_price), ("total", self.total), ("discount", self.discount)):
            if abs(value) > MAX_AMOUNT:
                raise ValueError(f"{where}: {field} {value} beyond Klarna's limit of {MAX_AMOUNT}")

    @property
    def total(self) -> int:
        return line_total(self.quantity, self.unit_price, self.discount)

    @property
    def tax(self) -> int:
        return vat_of_gross(self.total, self.tax_rate)


def _line(item: LineItem, quantity: int, discount: int, tax: int) -> dict:
    return {
        "type": item.kind,
        "reference": item.reference,
        "name": item.name,
        "quantity": quantity,
        "quantity_unit": item.quantity_unit,
        "unit_price": item.unit_price,
        "tax_rate": item.tax_rate,
        "total_amount": line_total(quantity, item.unit_price, discount),
        "total_discount_amount": discount,
        "total_tax_amount": tax,
    }


def klarna_line(item: LineItem) -> dict:
    """The Klarna order line (API.md §1.7) for a whole item."""
    return _line(item, item.quantity, item.discount, item.tax)


def _by_reference(items: Iterable[LineItem]) -> dict[str, LineItem]:
    found: dict[str, LineItem] = {}
    for item in items:
        if item.reference in found:
            raise ValueError(f"duplicate line reference {item.reference!r}")
        found[item.reference] = item
    return found


def klarna_lines(items: Iterable[LineItem]) -> list[dict]:
    """Klarna order lines for the items, in order; references must be unique."""
    return [klarna_line(item) for item in _by_reference(items).values()]


def order_amounts(lines: list[dict]) -> tuple[int, int]:
    """(order_amount, order_tax_amount): the exact sums of the lines' totals and taxes."""
    return sum(line["total_amount"] for line in lines), sum(line["total_tax_amount"] for line in lines)


def format_rate(rate: int) -> str:
    """2550 -> "25.5", 2500 -> "25", 1234 -> "12.34"."""
    whole, hundredths = divmod(rate, 100)
    return f"{whole}.{hundredths:02d}".rstrip("0") if hundredths else str(whole)


def _discountable_by_rate(items: Iterable[LineItem]) -> dict[int, int]:
    """Goods total per VAT rate, less earlier discount lines at that rate (never below 0)."""
    base: dict[int, int] = {}
    for item in items:
        if item.kind in GOODS_KINDS or item.kind == "discount":
            base[item.tax_rate] = base.get(item.tax_rate, 0) + item.total
    return {rate: amount for rate, amount in base.items() if amount > 0}


def split_cart_discount(
    amount: int, items: Sequence[LineItem], *, reference: str = "discount", name: str = "Discount"
) -> list[LineItem]:
    """Discount lines for a cart-wide discount of `amount` (minor units incl. VAT, >= 0).

    The discount is shared among the VAT rates of the goods in proportion to their totals
    (largest remainder; ties go to the larger share, then the higher rate), giving one
    ``discount`` line per rate that gets a share, highest rate first. The lines add up to
    exactly ``-amount`` and never exceed the goods total of their rate. With one line the
    reference and name are used as given; with several each gets its rate appended
    (``discount-2550``, ``Discount (VAT 25.5 %)``).
    """
    _require_int("amount", amount)
    if amount < 0:
        raise ValueError(f"a cart discount is a positive amount, got {amount}")
    if amount == 0:
        return []
    base = _discountable_by_rate(items)
    goods = sum(base.values())
    if amount > goods:
        raise ValueError(f"cart discount {amount} exceeds the discountable goods total {goods}")
    shares = {rate: divmod(amount * part, goods) for rate, part in base.items()}
    left = amount - sum(whole for whole, _ in shares.values())
    by_remainder = sorted(shares, key=lambda rate: (shares[rate][1], base[rate], rate), reverse=True)
    rounded_up = set(by_remainder[:left])
    split = {rate: whole + (rate in rounded_up) for rate, (whole, _) in shares.items()}
    rates = [rate for rate in sorted(split, reverse=True) if split[rate] > 0]
    single = len(rates) == 1
    return [
        LineItem(
            kind="discount",
            reference=reference if single else f"{reference}-{rate}",
            name=name if single else f"{name} (VAT {format_rate(rate)} %)",
            quantity=1,
            unit_price=-split[rate],
            tax_rate=rate,
        )
        for rate in rates
    ]


CORE_KEYS = ("purchase_country", "purchase_currency", "locale", "order_amount", "order_tax_amount", "order_lines")


def order_payload(
    items: Iterable[LineItem], *, purchase_country: str, purchase_currency: str, locale: str, **extra: object
) -> dict:
    """The order part of a KP session / create-order body; `extra` keys are added as given."""
    clash = sorted(set(extra) & set(CORE_KEYS))
    if clash:
        raise ValueError(f"extra keys {clash} would overwrite computed order fields")
    lines = klarna_lines(items)
    if not 1 <= len(lines) <= MAX_ORDER_LINES:
        raise ValueError(f"an order needs 1..{MAX_ORDER_LINES} lines, got {len(lines)}")
    amount, tax = order_amounts(lines)
    if amount < 0 or tax < 0:
        raise ValueError(f"order amount {amount} / tax {tax} is negative: discounts and credits exceed the goods")
    if amount > MAX_AMOUNT:
        raise ValueError(f"order amount {amount} beyond Klarna's limit of {MAX_AMOUNT}")
    return {
        "purchase_country": purchase_country,
        "purchase_currency": purchase_currency,
        "locale": locale,
        "order_amount": amount,
        "order_tax_amount": tax,
        "order_lines": lines,
        **extra,
    }


@dataclass(frozen=True)
class Portion:
    """Part of an order to capture or refund: Klarna lines and their exact sums."""

    lines: list[dict]
    amount: int
    tax_amount: int


def _cumulative(item: LineItem, units: int) -> tuple[int, int]:
    """(discount, tax) allocated to the first `units` units of the item (quantity > 0).

    At ``units == quantity`` this is exactly the item's own discount and tax.
    """
    discount = divide_rounded(item.discount * units, item.quantity)
    return discount, vat_of_gross(line_total(units, item.unit_price, discount), item.tax_rate)


def _taken(items: dict[str, LineItem], counts: Mapping[str, int], what: str) -> None:
    for ref, count in counts.items():
        if ref not in items:
            raise ValueError(f"{what}: no line with reference {ref!r}")
        _require_int(f"{what}[{ref!r}]", count)
        if not 0 <= count <= items[ref].quantity:
            raise ValueError(f"{what}[{ref!r}] = {count} outside 0..{items[ref].quantity}")


def portion(
    items: Sequence[LineItem], quantities: Mapping[str, int], *, already: Mapping[str, int] | None = None
) -> Portion:
    """Lines for `quantities[ref]` more units of each item, `already[ref]` units having been taken.

    Lines follow the items' order; items with no units in this portion get no line.
    """
    by_ref = _by_reference(items)
    already = already or {}
    _taken(by_ref, already, "already")
    _taken(by_ref, quantities, "quantities")
    lines = []
    for ref, item in by_ref.items():
        count = quantities.get(ref, 0)
        if not count:
            continue
        start = already.get(ref, 0)
        if start + count > item.quantity:
            raise ValueError(f"line {ref!r}: {count} more units asked, only {item.quantity - start} left")
        discount_before, tax_before = _cumulative(item, start)
        discount_after, tax_after = _cumulative(item, start + count)
        lines.append(_line(item, count, discount_after - discount_before, tax_after - tax_before))
    amount, tax = order_amounts(lines)
    return Portion(lines=lines, amount=amount, tax_amount=tax)


def remaining_quantities(items: Iterable[LineItem], taken: Mapping[str, int]) -> dict[str, int]:
    """Units of each item not yet taken by earlier portions; items with none left are omitted."""
    by_ref = _by_reference(items)
    _taken(by_ref, taken, "taken")
    left = {ref: item.quantity - taken.get(ref, 0) for ref, item in by_ref.items()}
    return {ref: count for ref, count in left.items() if count > 0}
