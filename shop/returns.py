"""Product returns: what the customer sent back lowers the order's total, and perhaps goes back on the shelf.

A returned quantity never exceeds what was shipped minus what came back before (for a fee such
as the shipping cost: its quantity, so it is given back once). The check and the count are one
conditional UPDATE per line, so two merchants saving returns at once cannot both count a unit.
"""
from __future__ import annotations

from typing import Mapping

from flask_babel import gettext as _
from sqlalchemy import case, update
from sqlmodel import Session, select

from .i18n_markers import N_
from .models import Order, OrderEvent, OrderLine, Product, Return, ReturnLine, utcnow
from .orders import add_event

RETURNABLE_KINDS = ("physical", "digital", "shipping_fee", "surcharge")
GOODS_KINDS = ("physical", "digital")
RETURN_COST_REFERENCE = "return-cost"  # the line of a return cost the merchant kept: not itself returnable


class ReturnError(ValueError):
    pass


class AlreadyRecorded(Exception):
    """The same return form was saved before (a double click, a resubmitted page)."""


def returnable_lines(order: Order) -> list[OrderLine]:
    """Lines the merchant may register a return of now; a fee worth nothing is left out (nothing to give back)."""
    return [line for line in _returnable(order) if line.returnable_quantity > 0 and line.ordered_total > 0]


def _returnable(order: Order) -> list[OrderLine]:
    return [line for line in order.lines if line.kind in RETURNABLE_KINDS and line.reference != RETURN_COST_REFERENCE]


def record_return(session: Session, order: Order, quantities: Mapping[int, int], *, restock: bool,
                  actor: str, token: str | None = None) -> Return:
    """Register `quantities` (order line id -> units) as returned. The caller commits; ReturnError on bad input.

    `token`: the form's own, minted when it was rendered; a form saved before raises AlreadyRecorded.
    """
    if token is not None:
        _lock(session, order)
        if _saved_before(session, order, token):
            raise AlreadyRecorded(token)
    lines = {line.id: line for line in _returnable(order)}
    wanted = {line_id: qty for line_id, qty in quantities.items() if qty}
    if not wanted:
        raise ReturnError(_("Choose at least one item that was returned."))
    for line_id, qty in wanted.items():
        if line_id not in lines:
            raise ReturnError(_("Unknown order line."))
        if qty < 0:
            raise ReturnError(_("%(name)s: enter a quantity of zero or more.", name=lines[line_id].name))
    returned = Return(order_id=order.id, restocked=restock, created_by=actor)
    session.add(returned)
    session.flush()
    for line_id, qty in wanted.items():
        _count_returned(session, lines[line_id], qty)
        session.add(ReturnLine(return_id=returned.id, order_line_id=line_id, quantity=qty))
        if restock:
            _restock(session, lines[line_id], qty)
    order.updated_at = utcnow()
    session.add(order)
    items = ", ".join(f"{qty} × {lines[line_id].name}" for line_id, qty in wanted.items())
    add_event(session, order, "returned",
              N_("Returned and restocked: %(items)s") if restock else N_("Returned: %(items)s"),
              actor=actor, message_args={"items": items}, return_id=returned.id, form_token=token)
    session.flush()
    session.refresh(returned)
    return returned


def _lock(session: Session, order: Order) -> None:
    """A write takes the order's row (PostgreSQL) or the database (SQLite) until the caller commits."""
    session.exec(update(Order).where(Order.id == order.id).values(updated_at=utcnow())  # type: ignore[call-overload]
                 .execution_options(synchronize_session=False))


def _saved_before(session: Session, order: Order, token: str) -> bool:
    events = session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == "returned"))
    return any((event.data or {}).get("form_token") == token for event in events)


def _count_returned(session: Session, line: OrderLine, qty: int) -> None:
    """Add `qty` to the line's returned units, only if that stays within what may come back."""
    limit = case((OrderLine.kind.in_(GOODS_KINDS), OrderLine.shipped_quantity),  # type: ignore[attr-defined]
                 else_=OrderLine.quantity)
    counted = session.exec(  # type: ignore[call-overload]
        update(OrderLine).where(OrderLine.id == line.id, OrderLine.returned_quantity + qty <= limit)
        .values(returned_quantity=OrderLine.returned_quantity + qty).execution_options(synchronize_session=False)
    )
    session.refresh(line)
    if counted.rowcount != 1:
        raise ReturnError(_("%(name)s: at most %(count)d can be returned.", name=line.name,
                            count=line.returnable_quantity))


def _restock(session: Session, line: OrderLine, qty: int) -> None:
    if line.product_id is None or line.kind != "physical":
        return
    session.exec(  # type: ignore[call-overload]
        update(Product).where(Product.id == line.product_id).values(stock=Product.stock + qty)
    )


def order_returns(session: Session, order: Order) -> list[Return]:
    return list(session.exec(select(Return).where(Return.order_id == order.id).order_by(Return.id)))
