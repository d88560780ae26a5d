"""An order edit as lines: what the merchant asked for, checked, and the lines the order would then have.

No I/O: the caller passes the order, the products added and the shop version. The order discount is
split per VAT rate the way a cart discount is (`order_lines.split_cart_discount`), over the goods as
edited; the payment fee is a `surcharge` line at the version's standard rate.

Rules that keep what was shipped (and so captured) as it was charged:
- a line's quantity never drops below what was shipped (taking shipped units back is a return);
- a line with shipped units keeps its unit price and VAT rate;
- the shipping fee and the payment fee are charged with the first shipment, so they are fixed once
  anything was shipped.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _

from shop.models import Order, OrderLine, Product, ShopVersion
from shop.money import divide_rounded, line_total, vat_of_gross

from .order_lines import GOODS_KINDS, MAX_AMOUNT, LineItem, split_cart_discount

PAYMENT_FEE_REFERENCE = "payment-fee"
DISCOUNT_REFERENCE = "discount"
MAX_ADDED_QUANTITY = 999


class EditInvalid(ValueError):
    """What the merchant typed cannot be saved; `errors` maps form fields to messages."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class LineChange:
    quantity: int  # 0 removes the line
    unit_price: int
    tax_rate: int


@dataclass(frozen=True)
class EditRequest:
    revision: int  # the order's revision the merchant's page showed
    lines: Mapping[int, LineChange]  # goods line id -> what it becomes; lines left out stay as they are
    added: Sequence[tuple[int, int]] = ()  # (product id, quantity) from the catalogue
    shipping_fee: int | None = None  # the shipping line's new price; None keeps it
    payment_fee: int = 0  # 0: no payment fee
    discount_amount: int = 0  # order discount, VAT included
    discount_percent: int = 0  # or a share of the goods, hundredths of a percent (1000 = 10 %)


@dataclass(frozen=True)
class ProposedLine:
    """A line of the order after the edit; `line_id` None for a new line."""

    line_id: int | None
    product_id: int | None
    kind: str
    reference: str
    name: str
    quantity: int
    unit_price: int
    tax_rate: int
    discount: int = 0

    @property
    def total(self) -> int:
        return line_total(self.quantity, self.unit_price, self.discount)

    @property
    def tax(self) -> int:
        return vat_of_gross(self.total, self.tax_rate)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in (
            "line_id", "product_id", "kind", "reference", "name", "quantity", "unit_price", "tax_rate", "discount")}

    @classmethod
    def from_dict(cls, data: Mapping) -> "ProposedLine":
        return cls(**data)

    @classmethod
    def of(cls, line: OrderLine) -> "ProposedLine":
        return cls(line.id, line.product_id, line.kind, line.reference, line.name, line.quantity, line.unit_price,
                   line.tax_rate, line.discount)


@dataclass
class _Draft:
    lines: list[ProposedLine] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def current_lines(order: Order) -> list[ProposedLine]:
    return [ProposedLine.of(line) for line in order.lines]


def is_order_discount(line: OrderLine | ProposedLine) -> bool:
    return line.kind == "discount" and line.reference.startswith(DISCOUNT_REFERENCE)


def is_payment_fee(line: OrderLine | ProposedLine) -> bool:
    return line.kind == "surcharge" and line.reference == PAYMENT_FEE_REFERENCE


def order_discount(order: Order) -> int:
    return -sum(line.total for line in order.lines if is_order_discount(line))


def payment_fee(order: Order) -> int:
    return sum(line.total for line in order.lines if is_payment_fee(line))


def propose(order: Order, request: EditRequest, products: Mapping[int, Product], version: ShopVersion,
            names: Mapping[str, str], prices: Mapping[int, int]) -> list[ProposedLine]:
    """The order's lines after the edit; raises EditInvalid. `names`: the discount and fee line names in the
    order's language; `prices`: the added products' prices in the order's currency."""
    draft = _Draft()
    for line in order.lines:
        if is_order_discount(line) or is_payment_fee(line):
            continue  # rebuilt below
        if line.kind in GOODS_KINDS:
            _edit_goods_line(draft, line, request.lines.get(line.id))
        elif line.kind == "shipping_fee":
            _edit_shipping(draft, order, line, request.shipping_fee)
        else:
            draft.lines.append(ProposedLine.of(line))
    for product_id, quantity in request.added:
        _add_product(draft, products.get(product_id), quantity, version, prices)
    _payment_fee(draft, order, request.payment_fee, names["payment_fee"], version)
    _discount(draft, request, names["discount"], {line.reference: line.id for line in order.lines
                                                  if is_order_discount(line)})
    if draft.errors:
        raise EditInvalid(draft.errors)
    _check_totals(draft.lines)
    return draft.lines


def _edit_goods_line(draft: _Draft, line: OrderLine, change: LineChange | None) -> None:
    if change is None:
        draft.lines.append(ProposedLine.of(line))
        return
    key = f"line_{line.id}"
    if change.quantity < line.shipped_quantity:
        draft.errors[key] = _("%(name)s: %(count)d already shipped. Taking shipped units back is a return.",
                              name=line.name, count=line.shipped_quantity)
        return
    repriced = (change.unit_price, change.tax_rate) != (line.unit_price, line.tax_rate)
    if repriced and line.shipped_quantity:
        draft.errors[key] = _("%(name)s: shipped units were charged at their price and VAT rate, which therefore "
                              "stay as they are.", name=line.name)
        return
    if change.quantity == 0:
        return  # removed
    # A line discount given per unit at checkout follows the quantity; a repriced line has none.
    discount = 0 if repriced else divide_rounded(line.discount * change.quantity, line.quantity)
    draft.lines.append(ProposedLine(line.id, line.product_id, line.kind, line.reference, line.name, change.quantity,
                                    change.unit_price, change.tax_rate, discount))


def _edit_shipping(draft: _Draft, order: Order, line: OrderLine, price: int | None) -> None:
    if price is None or price == line.unit_price:
        draft.lines.append(ProposedLine.of(line))
        return
    if any(goods.shipped_quantity for goods in order.goods_lines):
        draft.errors["shipping_fee"] = _("The shipping fee was charged with the first shipment and cannot change.")
        return
    draft.lines.append(ProposedLine(line.id, line.product_id, line.kind, line.reference, line.name, line.quantity,
                                    price, line.tax_rate))


def _payment_fee(draft: _Draft, order: Order, amount: int, name: str, version: ShopVersion) -> None:
    current = next((line for line in order.lines if is_payment_fee(line)), None)
    if (current.total if current is not None else 0) == amount:
        if current is not None:
            draft.lines.append(ProposedLine.of(current))
        return
    if any(goods.shipped_quantity for goods in order.goods_lines):  # fees go with the first capture
        draft.errors["payment_fee"] = _("The payment fee is charged with the first shipment and cannot change "
                                        "once something was shipped.")
        if current is not None:
            draft.lines.append(ProposedLine.of(current))
        return
    if amount:
        draft.lines.append(ProposedLine(None, None, "surcharge", PAYMENT_FEE_REFERENCE, name, 1, amount,
                                        version.rate_for("standard")))


def _add_product(draft: _Draft, product: Product | None, quantity: int, version: ShopVersion,
                 prices: Mapping[int, int]) -> None:
    if product is None or not product.active:
        draft.errors["add_product"] = _("Choose a product from the catalogue.")
        return
    if not 1 <= quantity <= MAX_ADDED_QUANTITY:
        draft.errors["add_quantity"] = _("Enter a number from %(min)s to %(max)s.", min=1, max=MAX_ADDED_QUANTITY)
        return
    for index, line in enumerate(draft.lines):  # the same product again: more of its line
        if line.product_id == product.id and line.kind in GOODS_KINDS:
            draft.lines[index] = ProposedLine(**{**line.as_dict(), "quantity": line.quantity + quantity})
            return
    name = product.in_language((version.language,)).name  # the order's language, as at checkout
    draft.lines.append(ProposedLine(None, product.id, product.kind, product.sku, name, quantity,
                                    prices[product.id], version.rate_for(product.tax_class)))


def _discount(draft: _Draft, request: EditRequest, name: str, existing: Mapping[str, int]) -> None:
    """The order discount's lines; a rate's line keeps its id (`existing`: reference -> line id)."""
    if request.discount_amount and request.discount_percent:
        draft.errors["discount_amount"] = _("Give the discount as an amount or as a percentage, not both.")
        return
    items = [_item(line, index) for index, line in enumerate(draft.lines)]
    goods = sum(item.total for item in items if item.kind in GOODS_KINDS)
    amount = request.discount_amount
    if request.discount_percent:
        amount = divide_rounded(goods * request.discount_percent, 10000)
    if not amount:
        return
    if amount > goods:
        draft.errors["discount_amount"] = _("The discount cannot be more than the goods.")
        return
    for item in split_cart_discount(amount, items, reference=DISCOUNT_REFERENCE, name=name):
        draft.lines.append(ProposedLine(existing.get(item.reference), None, "discount", item.reference, item.name, 1,
                                        item.unit_price, item.tax_rate))


def _item(line: ProposedLine, index: int) -> LineItem:
    return LineItem(kind=line.kind, reference=f"{index}", name=line.name or "-", quantity=line.quantity,
                    unit_price=line.unit_price, tax_rate=line.tax_rate, discount=line.discount)


def _check_totals(lines: list[ProposedLine]) -> None:
    total = sum(line.total for line in lines)
    if not any(line.kind in GOODS_KINDS for line in lines):
        raise EditInvalid({"lines": _("An order needs at least one item. To drop them all, cancel the order.")})
    if total < 0:
        raise EditInvalid({"discount_amount": _("Discounts cannot make the order total negative.")})
    if total > MAX_AMOUNT or any(abs(line.unit_price) > MAX_AMOUNT for line in lines):
        raise EditInvalid({"lines": _("The order total is too large.")})


def stock_changes(before: Sequence[ProposedLine], after: Sequence[ProposedLine],
                  physical: set[int]) -> dict[int, int]:
    """Product id -> units more reserved (negative: released), for the physical products."""
    change: dict[int, int] = {}
    for sign, lines in ((-1, before), (1, after)):
        for line in lines:
            if line.product_id in physical:
                change[line.product_id] = change.get(line.product_id, 0) + sign * line.quantity
    return {product_id: units for product_id, units in change.items() if units}
