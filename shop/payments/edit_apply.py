"""Storing an order edit on the shop's side: the lines, the stock they reserve or release, the history.

Called once the edit may be stored (Klarna approved it, or no Klarna payment has to follow it), inside
the caller's transaction; the caller commits.
"""
from __future__ import annotations

from typing import Any, Sequence

from flask_babel import gettext as _
from sqlalchemy import case, update
from sqlmodel import Session, select

from shop.i18n_markers import N_, money_arg
from shop.models import Order, OrderLine, Payment, Product, utcnow
from shop.orders import OutOfStock, add_event

from .edit_lines import EditInvalid, ProposedLine, stock_changes


def order_edited(session: Session, order: Order, old_total: int, actor: str, *, payment: Payment | None = None,
                 old_amount: int | None = None, new_amount: int | None = None) -> None:
    session.flush()
    session.refresh(order)
    data: dict[str, Any] = {"from": old_total, "to": order.total, "currency": order.currency}
    message = N_("Order edited: total %(old)s → %(new)s")
    args = {"old": money_arg(old_total, order.currency), "new": money_arg(order.total, order.currency)}
    if payment is not None:
        message = N_("Order edited: total %(old)s → %(new)s; Klarna's amount %(old_amount)s → %(new_amount)s")
        args |= {"old_amount": money_arg(old_amount, order.currency),
                 "new_amount": money_arg(new_amount, order.currency)}
        data |= {"payment_id": payment.id, "amount_from": old_amount, "amount_to": new_amount}
    add_event(session, order, "order_edited", message, actor=actor, message_args=args, **data)


def apply_lines(session: Session, order: Order, before: list[ProposedLine], lines: list[ProposedLine], *,
                strict_stock: bool) -> None:
    if order.stock_reserved:
        _move_stock(session, stock_changes(before, lines, _physical(session, before, lines)), strict=strict_stock)
    existing = {line.id: line for line in order.lines}
    kept = {line.line_id for line in lines if line.line_id is not None}
    for line_id, line in existing.items():
        if line_id not in kept and not line.shipped_quantity:
            order.lines.remove(line)
            session.delete(line)
    for proposed in lines:
        values = {key: value for key, value in proposed.as_dict().items() if key != "line_id"}
        target = existing.get(proposed.line_id) if proposed.line_id is not None else None
        if target is None:
            order.lines.append(OrderLine(order_id=order.id, **values))
            continue
        for key, value in values.items():
            setattr(target, key, value)
        target.quantity = max(target.quantity, target.shipped_quantity)
    if any(line.shipped_quantity for line in order.goods_lines):  # an edit may finish or reopen the shipping
        order.status = "shipped" if order.is_fully_shipped else "partially_shipped"
    order.revision += 1
    order.updated_at = utcnow()
    session.add(order)


def _physical(session: Session, *groups: Sequence[ProposedLine]) -> set[int]:
    ids = {line.product_id for lines in groups for line in lines if line.product_id}
    if not ids:
        return set()
    return set(session.exec(select(Product.id).where(Product.id.in_(ids), Product.kind == "physical")))  # type: ignore[union-attr]


def check_stock(session: Session, before: list[ProposedLine], lines: list[ProposedLine]) -> None:
    """Before Klarna is asked: more units than the stock holds are refused."""
    for product_id, units in stock_changes(before, lines, _physical(session, before, lines)).items():
        product = session.get(Product, product_id)
        if units > 0 and product.stock < units:
            raise EditInvalid({"lines": _("%(name)s: only %(count)d left in stock.", name=product.name,
                                          count=product.stock)})


def _move_stock(session: Session, changes: dict[int, int], *, strict: bool) -> None:
    """Reserve (units > 0) or release. Not strict (Klarna already approved): a sale made meanwhile may
    have taken the last units, so stock stops at zero instead of refusing what Klarna holds."""
    for product_id, units in changes.items():
        if units > 0 and strict:
            result = session.exec(update(Product).where(Product.id == product_id, Product.stock >= units)  # type: ignore[call-overload]
                                  .values(stock=Product.stock - units))
            if result.rowcount != 1:
                product = session.get(Product, product_id)
                session.refresh(product)
                raise OutOfStock(product, product.stock)
            continue
        new_stock = case((Product.stock - units < 0, 0), else_=Product.stock - units)
        session.exec(update(Product).where(Product.id == product_id).values(stock=new_stock))  # type: ignore[call-overload]
