"""Order.latest_payment_id follows every inserted payment transaction, in this one place.

The admin's orders list shows, and filters by, each order's newest payment: with the id on the
order that is one indexed join instead of grouping every payment on every request.
"""
from __future__ import annotations

from sqlalchemy import event, or_, update

from .orders import Order
from .payments import Payment


@event.listens_for(Payment, "after_insert")
def _point_order_at_new_payment(_mapper, connection, payment: Payment) -> None:
    table = Order.__table__
    connection.execute(
        update(table).where(table.c.id == payment.order_id)
        .where(or_(table.c.latest_payment_id.is_(None), table.c.latest_payment_id < payment.id))
        .values(latest_payment_id=payment.id)
    )
