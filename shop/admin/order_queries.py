"""Reading orders for the admin: the searchable list, and everything the order page shows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from math import ceil
from typing import Sequence

from sqlalchemy import func, literal_column, or_
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from shop.models import ORDER_STATUSES, Order, Payment, PaymentMethod, Shipment, ShopVersion, utcnow
from shop.payments import states

EXPIRY_FILTERS = ("soon",)
EXPIRY_WARNING = timedelta(days=7)
# A Klarna reservation lives in these states: Klarna releases what is not captured by the expiry date.
RESERVED_STATES = (states.AUTHORIZED, states.PENDING, states.PART_CAPTURED)
# "Expiring soon": the latest payment is a reservation expiring within EXPIRY_WARNING, or one that expired.
WATCHED_EXPIRY_STATES = (*RESERVED_STATES, states.EXPIRED)
# The list counts matching orders up to this many past the page shown; more are shown as "more than".
COUNT_LIMIT = 1_000


@dataclass(frozen=True)
class OrderSearch:
    query: str = ""
    status: str = ""
    expiry: str = ""  # "soon": Klarna reservations expiring within a week, or expired
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "OrderSearch":
        """Whatever is in the query string: unknown statuses and bad page numbers fall back quietly."""
        status = args.get("status", "")
        page = args.get("page", "")
        return cls(
            query=args.get("q", "").strip()[:100],
            status=status if status in ORDER_STATUSES else "",
            expiry=args.get("expiry", "") if args.get("expiry", "") in EXPIRY_FILTERS else "",
            page=int(page) if page.isdigit() and 0 < int(page) < 10**6 else 1,
        )

    def conditions(self) -> list:
        conditions = []
        if self.status:
            conditions.append(Order.status == self.status)
        if self.expiry == "soon":
            conditions.append(Order.latest_payment_id.in_(expiring_payments()))  # type: ignore[union-attr]
        if self.query:
            typed = self.query.lstrip("#")
            pattern = "%" + escape_like(typed) + "%"
            # ILIKE over these exact expressions: PostgreSQL answers it from the trigram indexes of 0007_perf.
            conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in searched_columns(typed))))
        return conditions

    def args(self, **changes) -> dict[str, str | int]:
        """Query-string arguments for a link to this search (another page, say)."""
        values = {"q": self.query, "status": self.status, "expiry": self.expiry, "page": self.page, **changes}
        return {key: value for key, value in values.items() if value and not (key == "page" and value == 1)}


@dataclass(frozen=True)
class OrderRow:
    order: Order
    version: ShopVersion
    payment: Payment | None  # the latest payment transaction


@dataclass(frozen=True)
class OrderPage:
    rows: list[OrderRow]
    total: int
    page: int
    pages: int
    more: bool = False  # more than `total` orders match; they were not all counted


def search_orders(session: Session, search: OrderSearch, per_page: int) -> OrderPage:
    """One page of orders, newest first, in a fixed number of queries however long the page or the table.

    The count stops COUNT_LIMIT rows past the page asked for: beyond, the list says "more than"
    instead of counting every matching row.
    """
    conditions = search.conditions()
    limit = (search.page - 1) * per_page + COUNT_LIMIT
    matching = select(Order.id).where(*conditions).limit(limit + 1).subquery()
    counted = session.exec(select(func.count()).select_from(matching)).one()
    total = min(counted, limit)
    pages = max(ceil(total / per_page), 1)
    page = min(search.page, pages)
    orders = session.exec(
        select(Order).where(*conditions).order_by(Order.created_at.desc(), Order.id.desc())
        .offset((page - 1) * per_page).limit(per_page).options(selectinload(Order.lines))
    ).all()
    versions = all_versions(session)
    payments = latest_payments(session, orders)
    rows = [OrderRow(order, versions[order.version_id], payments.get(order.id)) for order in orders]
    return OrderPage(rows=rows, total=total, page=page, pages=pages, more=counted > limit)


def searched_columns(typed: str) -> list:
    """The columns that can hold what was typed: order numbers are digits, names hold no "@".

    Each column searched is one more trigram index scan, and the scans of a long text cost the most.
    """
    columns = [Order.email]
    if typed.isdigit():
        columns.insert(0, Order.number)
    if "@" not in typed:
        columns.append(customer_name_expression())
    return columns


def customer_name_expression():
    """Given and family name as one text; the SQL matches the name index of migration 0007_perf."""
    return Order.given_name.op("||")(literal_column("' '")).op("||")(Order.family_name)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def all_versions(session: Session) -> dict[int, ShopVersion]:
    return {version.id: version for version in session.exec(select(ShopVersion).order_by(ShopVersion.position))}


def expiring_payments():
    """Klarna reservations near or past their expiry date (payment ids; Order.latest_payment_id picks the newest)."""
    return select(Payment.id).where(
        Payment.provider == "klarna",
        Payment.state.in_(WATCHED_EXPIRY_STATES),  # type: ignore[attr-defined]
        Payment.expires_at <= utcnow() + EXPIRY_WARNING,  # type: ignore[operator]
    )


def latest_payments(session: Session, orders: Sequence[Order]) -> dict[int, Payment]:
    ids = {order.latest_payment_id for order in orders} - {None}
    if not ids:
        return {}
    return {payment.order_id: payment for payment in session.exec(select(Payment).where(Payment.id.in_(ids)))}


def order_for_update(session: Session, number: str) -> Order | None:
    """The order, re-read under a row lock (PostgreSQL), so two shipments cannot both count the same units."""
    statement = (select(Order).where(Order.number == number).with_for_update()
                 .options(selectinload(Order.lines)).execution_options(populate_existing=True))
    return session.exec(statement).first()


def order_page_data(session: Session, order: Order) -> dict:
    payments = session.exec(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)).all()
    method_ids = ({payment.method_id for payment in payments} | {order.payment_method_id}) - {None}
    methods = session.exec(select(PaymentMethod).where(PaymentMethod.id.in_(method_ids))).all()
    shipments = session.exec(
        select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)
        .options(selectinload(Shipment.lines))
    ).all()
    return {
        "order": order,
        "version": session.get(ShopVersion, order.version_id),
        "payments": payments,
        "payment_methods": {method.id: method for method in methods},
        "shipments": shipments,
        "lines_by_id": {line.id: line for line in order.lines},
    }
