"""Saving an order edit: Klarna approves it first (PATCH authorization), or the order stays as it was.

For a Klarna payment that can still change (authorized or partly captured), the edit is sent as the
new `order_amount` and `order_lines` under the payment's claim (a `edit_order_requested` event, the
idempotency key derived from it, one outcome) and nothing of it is stored until Klarna approves.
Approved: the lines, the stock, the payment's amount and the lines Klarna now holds are stored in one
transaction, with the order locked before the payment (the order the shipments lock them in).
Refused: the claim is released and the order is untouched. Unanswered: the claim stays, and the
next sync retries with the same key; `service.APPLY["edit_order"]` then stores the edit.

An edit carries the order's `revision` it was made on; it is refused once another edit was stored
meanwhile, so two merchants saving at once cannot leave the shop and Klarna disagreeing.
Without a Klarna payment that can change (bank transfer, a captured or unapproved Klarna payment)
the edit is stored at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session, select

from shop.i18n import money
from shop.i18n_markers import N_, money_arg
from shop.models import Order, Payment, PaymentEvent, Product, ShopVersion
from shop.orders import OutOfStock
from shop.pricing import load_price_list

from . import service, states
from .common import add_payment_event
from .edit_apply import apply_lines, check_stock, order_edited
from .edit_lines import EditInvalid, EditRequest, ProposedLine, current_lines, propose
from .gateway import KlarnaGateway
from .operations import NotAllowed, claim, execute, lock_payment, release_claim
from .order_lines import LineItem, klarna_lines, order_amounts
from .ledger import recompute

OPERATION = "edit_order"
ADJUSTMENT_REFERENCE = "other-payments"
EDITABLE_ORDER_STATUSES = ("awaiting_payment", "confirmed", "partially_shipped", "shipped")


class EditRefused(Exception):
    """The edit cannot be saved now (409): the order changed meanwhile, or its payment does not allow it."""


@dataclass(frozen=True)
class EditResult:
    changed: bool  # False: the edit changed nothing, nothing was stored or sent
    old_total: int = 0
    new_total: int = 0
    klarna: PaymentEvent | None = None  # Klarna's approval, when Klarna was asked


def save_edit(session: Session, order: Order, request: EditRequest, gateway: KlarnaGateway, *,
              actor: str) -> EditResult:
    """Raises EditInvalid (422), EditRefused / NotAllowed / OperationInProgress (409), ProviderError (Klarna)."""
    _refuse_closed(order)
    if request.revision != order.revision:
        raise EditRefused(_("The order was changed meanwhile. Check the order as it is now and edit again."))
    lines = proposed_lines(session, order, request)
    before = current_lines(order)
    if _same(before, lines):
        return EditResult(changed=False, old_total=order.total, new_total=order.total)
    check_stock(session, before, lines)
    payment = _payment_to_update(session, order)
    if payment is None:
        return _store_locally(session, order, request, before, lines, actor)
    return _store_after_klarna(session, order, payment, request, before, lines, gateway, actor)


def payment_to_update_or_none(session: Session, order: Order) -> Payment | None:
    """The Klarna payment an edit would be sent to now; None when the edit would be stored at once (or refused)."""
    try:
        return _payment_to_update(session, order)
    except EditRefused:
        return None


def klarna_shortfall(session: Session, order: Order, request: EditRequest) -> int:
    """How much more the edited order needs from Klarna than Klarna holds now (0 without a Klarna payment)."""
    payment = _payment_to_update(session, order)
    if payment is None:
        return 0
    new_total = sum(line.total for line in proposed_lines(session, order, request))
    return new_total - others_paid(session, order, payment) - payment.amount


@dataclass(frozen=True)
class EditPreview:
    old_total: int
    new_total: int
    changed: bool
    klarna_from: int | None = None  # the Klarna payment's amount now, when the edit would be sent to Klarna
    klarna_to: int | None = None


def preview(session: Session, order: Order, request: EditRequest) -> EditPreview:
    """What saving would do, without storing or sending anything; raises EditInvalid / EditRefused."""
    _refuse_closed(order)
    lines = proposed_lines(session, order, request)
    changed = not _same(current_lines(order), lines)
    new_total = order.total + sum(line.total for line in lines) - sum(line.total for line in current_lines(order))
    payment = _payment_to_update(session, order) if changed else None
    if payment is None:
        return EditPreview(order.total, new_total, changed)
    amount = sum(line.total for line in lines) - others_paid(session, order, payment)
    return EditPreview(order.total, new_total, changed, klarna_from=payment.amount, klarna_to=amount)


def proposed_lines(session: Session, order: Order, request: EditRequest) -> list[ProposedLine]:
    version = session.get(ShopVersion, order.version_id)
    ids = {product_id for product_id, _quantity in request.added}
    products = {p.id: p for p in session.exec(select(Product).where(Product.id.in_(ids)))} if ids else {}  # type: ignore[union-attr]
    with force_locale(order.locale.split("-")[0]):
        names = {"discount": _("Discount"), "payment_fee": _("Payment fee")}
    price_list = load_price_list(session, version, product_ids=ids) if ids else None
    prices = {product.id: price_list.product_price(product) for product in products.values()}
    return propose(order, request, products, version, names, prices)


def _refuse_closed(order: Order) -> None:
    if order.status not in EDITABLE_ORDER_STATUSES:
        raise EditRefused(_("This order is closed and cannot be edited."))


def _same(before: Sequence[ProposedLine], after: Sequence[ProposedLine]) -> bool:
    """The same lines, in whatever order (rebuilt lines such as the discount come last in a proposal)."""
    def key(line: ProposedLine) -> tuple:
        return (line.line_id or 0, line.reference, line.kind)
    return [line.as_dict() for line in sorted(before, key=key)] == [line.as_dict() for line in sorted(after, key=key)]


def _payment_to_update(session: Session, order: Order) -> Payment | None:
    """The Klarna payment whose authorization must follow the edit, or None when no payment must."""
    klarna = service.klarna_payments(session, order)
    if any(p.state in states.OPEN for p in klarna):
        raise EditRefused(_("The customer is paying with Klarna right now; edit the order once the payment is done."))
    payment = service.active_payment(session, order)
    if payment is None:
        return None
    if payment.state == states.PENDING:
        raise EditRefused(_("Klarna is still reviewing this payment; edit the order once Klarna has decided."))
    return payment if states.can("update_amount", payment.state) else None


# Klarna's side ------------------------------------------------------------------------------

def others_paid(session: Session, order: Order, payment: Payment) -> int:
    """What the order's other payment transactions carry: manual ones as asked (a negative one pays back),
    earlier Klarna ones as captured less refunded."""
    total = 0
    for other in session.exec(select(Payment).where(Payment.order_id == order.id, Payment.id != payment.id)):
        if other.provider == "klarna":
            total += other.captured_amount - other.refunded_amount
        elif other.state != states.CANCELLED:
            total += other.amount
    return total


def klarna_items(lines: Sequence[ProposedLine]) -> list[LineItem]:
    seen: set[str] = set()
    items = []
    for index, line in enumerate(lines):
        reference = line.reference if line.reference not in seen else f"{line.reference}-{line.line_id or index}"
        seen.add(reference)
        items.append(LineItem(kind=line.kind, reference=reference, name=line.name[:255], quantity=line.quantity,
                              unit_price=line.unit_price, tax_rate=line.tax_rate, discount=line.discount))
    return items


def klarna_body(lines: Sequence[ProposedLine], amount: int, adjustment_name: str) -> dict[str, Any]:
    """PATCH authorization: the order's lines, and what other payments carry as one adjustment line
    (`surcharge` when Klarna must hold more than the lines, `discount` when less), so they add up."""
    items = klarna_items(lines)
    difference = amount - sum(item.total for item in items)
    if difference:
        items.append(LineItem(kind="surcharge" if difference > 0 else "discount", reference=ADJUSTMENT_REFERENCE,
                              name=adjustment_name, quantity=1, unit_price=difference, tax_rate=0))
    order_lines = klarna_lines(items)
    order_amount, _tax = order_amounts(order_lines)
    return {"order_amount": order_amount, "order_lines": order_lines}


def adjustment_name(order: Order) -> str:
    with force_locale(order.locale.split("-")[0]):
        return _("Paid with other payment transactions")


def _store_after_klarna(session: Session, order: Order, payment: Payment, request: EditRequest,
                        before: list[ProposedLine], lines: list[ProposedLine], gateway: KlarnaGateway,
                        actor: str) -> EditResult:
    new_total = sum(line.total for line in lines)
    amount = new_total - others_paid(session, order, payment)
    if amount < 0:
        raise EditInvalid({"lines": _("The other payment transactions already cover more than the new total.")})
    if amount < payment.captured_amount:  # Klarna would refuse it (API.md §3.4): say so without asking
        raise EditInvalid({"lines": _("Klarna has already captured %(amount)s, so the order cannot cost less than "
                                      "that. Register a return instead.",
                                      amount=money(payment.captured_amount, payment.currency))})
    body = klarna_body(lines, amount, adjustment_name(order))
    edit = {"revision": request.revision, "lines": [line.as_dict() for line in lines],
            "from_total": order.total, "to_total": new_total, "from_amount": payment.amount}
    order_id, revision = order.id, request.revision

    def still_possible(fresh: Payment) -> bool:
        current = session.exec(select(Order.revision).where(Order.id == order_id)).one()
        return current == revision and states.can("update_amount", fresh.state)

    event = claim(session, payment, OPERATION, body, actor=actor, amount=body["order_amount"],
                  data={"edit": edit}, still_possible=still_possible)
    execute(session, payment, event, gateway)  # a refusal or silence raises ProviderError here
    locked = session.exec(select(Order).where(Order.id == order_id).with_for_update()
                          .execution_options(populate_existing=True)).one()
    lock_payment(session, payment)
    if payment.pending_event_id != event.id:  # a retry of the same request recorded it meanwhile
        session.rollback()
        return EditResult(changed=True, old_total=edit["from_total"], new_total=new_total)
    outcome = edit_approved(session, payment, event)
    release_claim(session, payment, event)
    recompute(session, payment)
    session.commit()
    return EditResult(changed=True, old_total=edit["from_total"], new_total=locked.total, klarna=outcome)


def edit_approved(session: Session, payment: Payment, event: PaymentEvent, _result: Any = None,
                  _gateway: Any = None) -> PaymentEvent:
    """Klarna approved: store the edit, the new authorized amount and the lines Klarna holds."""
    edit, body = event.data["edit"], event.data["body"]
    order = session.get(Order, payment.order_id)
    before = current_lines(order)
    lines = [ProposedLine.from_dict(line) for line in edit["lines"]]
    apply_lines(session, order, before, lines, strict_stock=False)
    new_amount = body["order_amount"]
    outcome = add_payment_event(
        session, payment, "edit_approved", N_("Klarna approved the edited order: %(old)s → %(new)s"),
        amount=new_amount, actor=event.actor, request_event_id=event.id, idempotency_key=event.idempotency_key,
        message_args={"old": money_arg(payment.amount, payment.currency), "new": money_arg(new_amount, payment.currency)},
        data={"from": payment.amount, "to": new_amount, "order_lines": body["order_lines"]})
    order_edited(session, order, edit["from_total"], event.actor, payment=payment, old_amount=payment.amount,
                 new_amount=new_amount)
    payment.amount = new_amount
    session.add(payment)
    return outcome


service.APPLY[OPERATION] = edit_approved  # a retry from the sync stores the edit the same way


# The shop's side ----------------------------------------------------------------------------

def store_locally(session: Session, order: Order, request: EditRequest, actor: str, *,
                  also: Callable[[Order], Any] | None = None) -> EditResult:
    """Store the edit without asking Klarna; `also` runs in the same transaction (a new payment transaction)."""
    _refuse_closed(order)
    before, lines = current_lines(order), proposed_lines(session, order, request)
    return _store_locally(session, order, request, before, lines, actor, also=also)


def _store_locally(session: Session, order: Order, request: EditRequest, before: list[ProposedLine],
                   lines: list[ProposedLine], actor: str, *, also: Callable[[Order], Any] | None = None) -> EditResult:
    locked = session.exec(select(Order).where(Order.id == order.id).with_for_update()
                          .execution_options(populate_existing=True)).one()
    if locked.revision != request.revision:
        session.rollback()
        raise EditRefused(_("The order was changed meanwhile. Check the order as it is now and edit again."))
    _refuse_while_klarna_busy(session, locked)
    old_total = locked.total
    try:
        apply_lines(session, locked, before, lines, strict_stock=True)
    except OutOfStock as error:
        session.rollback()
        raise EditInvalid({"lines": _("%(name)s: only %(count)d left in stock.", name=error.product.name,
                                      count=error.available)}) from None
    order_edited(session, locked, old_total, actor)
    if also is not None:
        also(locked)
    session.commit()
    return EditResult(changed=True, old_total=old_total, new_total=locked.total)


def _refuse_while_klarna_busy(session: Session, order: Order) -> None:
    """Under the order's lock: a Klarna write in flight (another merchant's edit, say) is awaited first.
    Taking the payment's lock too makes a claim made meanwhile see this edit's revision."""
    payment = service.active_payment(session, order)
    if payment is None:
        return
    lock_payment(session, payment)
    if payment.pending_event_id is not None:
        session.rollback()
        raise EditRefused(_("Another change of this order's Klarna payment is in progress. Try again in a moment."))


__all__ = ["EditInvalid", "EditRefused", "EditRequest", "EditResult", "NotAllowed", "save_edit"]
