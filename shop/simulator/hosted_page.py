"""The shopper-facing pages: the hosted payment page (no auth, plain forms) and the KP
confirmation redirect. Labels follow the purchase locale (English, Finnish, Swedish)."""
from __future__ import annotations

import base64

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request

from .wire import ApiError

bp = Blueprint("page", __name__)

LANGUAGES = ("en", "fi", "sv")
# label -> (English, Finnish, Swedish)
LABELS = {
    "title": ("Pay with Klarna", "Maksa Klarnalla", "Betala med Klarna"),
    "banner": ("Klarna simulator - test environment, no real money moves",
               "Klarna-simulaattori - testiympäristö, oikeaa rahaa ei liiku",
               "Klarna-simulator - testmiljö, inga riktiga pengar"),
    "summary": ("Your order", "Tilauksesi", "Din beställning"),
    "qty": ("Qty", "Kpl", "Antal"),
    "total": ("Total", "Yhteensä", "Totalt"),
    "choose": ("Choose how to pay", "Valitse maksutapa", "Välj hur du vill betala"),
    "PAY_LATER": ("Pay later", "Maksa myöhemmin", "Betala senare"),
    "PAY_OVER_TIME": ("Pay in parts", "Pilko maksut", "Dela upp betalningen"),
    "PAY_NOW": ("Pay now", "Maksa nyt", "Betala nu"),
    "DIRECT_DEBIT": ("Direct debit", "Suoraveloitus", "Autogiro"),
    "DIRECT_BANK_TRANSFER": ("Bank transfer", "Pankkisiirto", "Banköverföring"),
    "KLARNA": ("Klarna", "Klarna", "Klarna"),
    "email": ("E-mail", "Sähköposti", "E-post"),
    "approve": ("Pay", "Maksa", "Betala"),
    "decline": ("Decline (simulate a rejection)", "Hylkää (simuloi hylkäys)", "Neka (simulera ett avslag)"),
    "cancel": ("Cancel", "Peruuta", "Avbryt"),
    "back": ("Back to the shop", "Takaisin kauppaan", "Tillbaka till butiken"),
    "error": ("Simulate a technical error", "Simuloi tekninen virhe", "Simulera ett tekniskt fel"),
    "FAILED": ("Klarna could not approve this purchase. Try another way to pay.",
               "Klarna ei voinut hyväksyä ostosta. Kokeile toista maksutapaa.",
               "Klarna kunde inte godkänna köpet. Prova ett annat sätt att betala."),
    "ERROR": ("Something went wrong. Please try again.", "Jokin meni vikaan. Yritä uudelleen.",
              "Något gick fel. Försök igen."),
    "COMPLETED": ("The payment is complete. You can close this page.", "Maksu on valmis. Voit sulkea sivun.",
                  "Betalningen är klar. Du kan stänga sidan."),
    "CANCELLED": ("The payment was cancelled.", "Maksu peruttiin.", "Betalningen avbröts."),
    "BACK": ("You went back to the shop.", "Palasit kauppaan.", "Du gick tillbaka till butiken."),
    "gone": ("This payment link is no longer valid.", "Tämä maksulinkki ei ole enää voimassa.",
             "Den här betallänken gäller inte längre."),
}
SYMBOLS = {"EUR": "€", "SEK": "kr", "NOK": "kr", "DKK": "kr.", "GBP": "£", "USD": "$", "CHF": "CHF"}
# a 1x1 grey PNG standing in for the QR code image
QR_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==")


def labels_for(locale: str | None) -> dict:
    language = (locale or "en")[:2].lower()
    index = LANGUAGES.index(language) if language in LANGUAGES else 0
    return {key: texts[index] for key, texts in LABELS.items()}


def format_amount(minor: int, currency: str, locale: str | None) -> str:
    """Minor units as the shopper reads them: '161,77 €' (fi/sv), '€161.77' (en)."""
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 100)
    symbol = SYMBOLS.get(currency.upper(), currency.upper())
    if (locale or "en")[:2].lower() == "en":
        return f"{sign}{symbol}{units:,}.{cents:02d}"
    grouped = f"{units:,}".replace(",", "\u00a0")
    return f"{sign}{grouped},{cents:02d}\u00a0{symbol}"


def _sim():
    return current_app.extensions["klarna_simulator"]


def _page(session: dict, status_code: int = 200):
    kp_session = _sim().store.get("kp_session", session["kp_session_id"])
    data = kp_session["data"]
    locale = data.get("locale") or {"FI": "fi-FI", "SE": "sv-SE"}.get(data["purchase_country"].upper())
    text = labels_for(locale)

    def money(amount):
        return format_amount(amount, data["purchase_currency"], locale)

    email = session.get("email") or (data.get("billing_address") or {}).get("email", "")
    return render_template(
        "simulator/hosted_page.html", session=session, data=data, text=text, money=money,
        lang=(locale or "en")[:2].lower(), email=email,
        chosen=session.get("category") or session["categories"][0],
        title=session["options"].get("page_title") or text["title"]), status_code


@bp.get("/hpp/payments/<session_id>")
def hosted_page(session_id):
    sim = _sim()
    try:
        with sim.transaction():
            session = sim.hpp.load(None, session_id)
            if session["status"] == "DISABLED":
                raise ApiError(404, "NOT_FOUND", "disabled")
            sim.hpp.open(session)
    except ApiError:
        return render_template("simulator/gone.html", text=labels_for(request.accept_languages.best)), 404
    return _page(session)


@bp.post("/hpp/payments/<session_id>")
def hosted_page_action(session_id):
    sim = _sim()
    action = request.form.get("action", "")
    if action not in ("approve", "decline", "cancel", "back", "error"):
        abort(400)
    try:
        with sim.transaction():
            session = sim.hpp.load(None, session_id)
            target = sim.hpp.act(session, action, category=request.form.get("category"),
                                 email=request.form.get("email", "").strip() or None)
    except ApiError:
        return render_template("simulator/gone.html", text=labels_for(None)), 404
    if target:  # the merchant URL exactly as substituted; unknown {{...}} stay untouched
        return Response(status=303, headers={"Location": target})
    return _page(session)


@bp.get("/hpp/payments/<session_id>/qr")
def qr_code(session_id):
    sim = _sim()
    try:
        sim.hpp.load(None, session_id)
    except ApiError:
        abort(404)
    return QR_PNG, 200, {"Content-Type": "image/png"}


@bp.get("/kp/confirm/<order_id>")
def kp_confirmation(order_id):
    """KP create-order `redirect_url`: on to the merchant's confirmation URL."""
    order = _sim().store.get("order", order_id)
    url = order and order["merchant_urls"].get("confirmation")
    if not url:
        abort(404)
    return redirect(url.replace("{order.id}", order_id).replace("{session.id}", order["kp_session_id"]), 303)
