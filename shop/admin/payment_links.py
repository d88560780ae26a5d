"""The order page's payment link: "Send payment link" for an order awaiting payment, the link with
its QR code to read out or show, and when it expires.

The link opens the storefront's own Klarna flow (its return and callback URLs carry the order's
token), so paying through it ends exactly like a checkout.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import segno
from flask import abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlmodel import Session, select
from wtforms import EmailField, RadioField, TelField
from wtforms.validators import Email, Length, Optional, Regexp

from shop.db import db
from shop.klarna_errors import KLARNA_ERRORS
from shop.models import Order, Payment, PaymentLink, PaymentMethod, ShopVersion, utcnow
from shop.orders import find_order_by_number
from shop.payments import klarna_checkout, payment_links, states
from shop.payments.common import as_utc
from shop.payments.gateway import current_gateway
from shop.web import done

from . import bp
from . import orders as order_pages
from .common import ORDER_EVENT_LABELS, render
from .history import ARG_LABELS
from .payment_panel import EVENT_LABELS, Problem
from .payment_shipping import as_provider_error

SECTION = "admin/payment_links/_result.html"
CHANNEL_LABELS = {
    "page": _l("Only show the link here (read it out or show the QR code)"),
    "shop_email": _l("E-mail from the shop"),
    "klarna_email": _l("E-mail sent by Klarna"),
    "klarna_sms": _l("Text message sent by Klarna"),
}
# The history's short words for a channel.
CHANNEL_WORDS = {"page": _l("shown on the order page"), "shop_email": _l("e-mail from the shop"),
                 "klarna_email": _l("e-mail by Klarna"), "klarna_sms": _l("text message by Klarna")}
OFFERED_CHANNELS = ["shop_email", "page", "klarna_email", "klarna_sms"]


class PaymentLinkForm(FlaskForm):
    channel = RadioField(_l("How the customer gets the link"), default="shop_email",
                         invalid_choice_message=_l("Choose how the link is sent."))
    email = EmailField(_l("Customer's e-mail"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                       validators=[Optional(), Length(max=254), Email(message=_l("Enter a valid e-mail address."))])
    phone = TelField(_l("Customer's mobile phone"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                     validators=[Optional(), Length(max=30), Regexp(r"^\+?[0-9 ()-]{5,}$", message=_l(
                         "Enter a phone number, e.g. +358 40 123 4567."))])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.channel.data in ("shop_email", "klarna_email") and not self.email.data and not self.email.errors:
            self.email.errors.append(_("Enter the e-mail address to send the link to."))
            valid = False
        if self.channel.data == "klarna_sms" and not self.phone.data and not self.phone.errors:
            self.phone.errors.append(_("Enter the mobile number to send the link to."))
            valid = False
        return valid

    @property
    def recipient(self) -> str:
        if self.channel.data == "klarna_sms":
            return self.phone.data or ""
        return self.email.data if self.channel.data != "page" else ""


def link_form(order: Order, formdata: Any = None) -> PaymentLinkForm:
    form = PaymentLinkForm(formdata=formdata, data={"email": order.email, "phone": order.phone})
    form.channel.choices = [(name, str(CHANNEL_LABELS[name])) for name in OFFERED_CHANNELS]
    return form


@dataclass(frozen=True)
class LinkView:
    link: PaymentLink
    qr_svg: Markup
    expires_at: datetime | None
    paid: bool  # the customer paid through it: it has done its work

    @property
    def expired(self) -> bool:
        return not self.paid and self.expires_at is not None and self.expires_at <= utcnow()


def link_view(session: Session, link: PaymentLink | None) -> LinkView | None:
    if link is None:
        return None
    payment = session.get(Payment, link.payment_id)
    svg = segno.make(link.url, error="m").svg_inline(scale=4, title=_("Payment link"))
    return LinkView(link=link, qr_svg=Markup(svg), expires_at=as_utc(link.expires_at),
                    paid=payment is not None and payment.state in states.CONFIRMED_STATES)


def klarna_method_for(session: Session, order: Order) -> PaymentMethod | None:
    chosen = session.get(PaymentMethod, order.payment_method_id) if order.payment_method_id else None
    if chosen is not None and chosen.provider == "klarna":
        return chosen
    return session.exec(select(PaymentMethod).where(PaymentMethod.provider == "klarna")
                        .order_by(PaymentMethod.position, PaymentMethod.id)).first()


def storefront_urls(order: Order, version: ShopVersion) -> klarna_checkout.UrlsFor:
    """The storefront's merchant URLs for the order (as its checkout builds them), absolute."""
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")

    def urls_for(payment) -> dict[str, str]:
        def url(endpoint: str, **values) -> str:
            return base + url_for(endpoint, version_code=version.code, token=order.token, payment_id=payment.id,
                                  **values)

        urls = {kind: url("storefront.klarna_return", kind=kind) for kind in klarna_checkout.RETURN_KINDS}
        urls["status_update"] = url("storefront.klarna_status_update")
        urls["notification"] = url("storefront.klarna_notification")
        return urls

    return urls_for


def link_context(order: Order, **extra: Any) -> dict[str, Any]:
    session = db()
    method = klarna_method_for(session, order)
    return {
        "payment_link": link_view(session, payment_links.latest_link(session, order)),
        "payment_link_possible": method is not None and order.status in payment_links.LINKABLE_STATUSES,
        "payment_link_form": link_form(order),
        "link_channel_labels": CHANNEL_LABELS,
        **extra,
    }


@bp.post("/orders/<number>/payment-link")
def send_payment_link(number: str):
    session = db()
    order = find_order_by_number(session, number) or abort(404)
    form = link_form(order, formdata=request.form)
    method = klarna_method_for(session, order)
    if method is None or order.status not in payment_links.LINKABLE_STATUSES:
        return _answer(order, 409, link_problem=Problem(_("This order is not awaiting payment, so no payment link "
                                                          "can be sent.")))
    if not form.validate():
        return _answer(order, 422, payment_link_form=form)
    version = session.get(ShopVersion, order.version_id)
    try:
        link = payment_links.create_link(session, order, method, current_gateway(), storefront_urls(order, version),
                                         channel=form.channel.data, recipient=form.recipient,
                                         actor=current_user.email)
    except payment_links.AlreadyPaid:
        return _answer(order, 409, link_problem=Problem(_("The customer has paid already: Klarna is confirming "
                                                          "an earlier payment of this order.")))
    except klarna_checkout.CheckoutFailed as failed:
        return _answer(order, 409, link_problem=_klarna_problem(_("Klarna could not open a payment session."),
                                                                failed.error))
    except payment_links.DistributionFailed as failed:
        return _answer(order, 409, link_problem=_klarna_problem(
            _("The link below works, but Klarna did not send it. Read it out, or try sending it again."),
            failed.error))
    except KLARNA_ERRORS as error:
        return _answer(order, 409, link_problem=_klarna_problem(
            _("An earlier payment link could not be closed, so no new one was made."), as_provider_error(error)))
    return done(_sent_message(link), url_for("admin.order", number=number), SECTION,
                **_section_context(order))


def _sent_message(link: PaymentLink) -> str:
    if link.channel == "page":
        return _("Payment link created. Read it out or show the QR code to the customer.")
    return _("Payment link sent to %(recipient)s.", recipient=link.recipient)


def _klarna_problem(message: str, error) -> Problem:
    return Problem(message, detail=error.message, correlation_id=error.correlation_id)


def _section_context(order: Order, **extra: Any) -> dict[str, Any]:
    db().expire_all()
    context = order_pages.order_context(order)
    context.update(extra)
    return context


def _answer(order: Order, status: int, **extra: Any):
    return render(order_pages.DETAIL_PAGE, SECTION, status=status, **_section_context(order, **extra))


order_pages.ORDER_PAGE_CONTEXT.append(link_context)
ORDER_EVENT_LABELS.setdefault("payment_link_created", _l("Payment link created"))
EVENT_LABELS.setdefault("link_sent", _l("Payment link sent by Klarna"))
EVENT_LABELS.setdefault("link_not_sent", _l("Klarna did not send the payment link"))
ARG_LABELS.setdefault("link_channel", CHANNEL_WORDS)
