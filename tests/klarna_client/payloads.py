"""A realistic Finnish EUR order (VAT 25.5 %, tax_rate 2550) in Klarna's request shapes.

Arithmetic (API.md §6.1): total = qty × unit_price − discount; total_tax_amount is the
tax part of the tax-inclusive total, rounded: total × 2550 / 12550.
"""
from __future__ import annotations

import copy

FI_VAT = 2550
ORDER_ID = "f3392f8b-6116-4073-ab96-e330819e2c07"
KP_SESSION_ID = "0b1d9815-165e-42e2-8867-35bc03789e00"
HPP_SESSION_ID = "9cbc9884-1fdb-45a8-9694-9340340d0436"
AUTHORIZATION_TOKEN = "b4bd3423-24e3-4b4c-8b4d-b6e9d2c43e6c"
CAPTURE_ID = "4ba29b50-be7b-44f5-a492-113e6a865e22"
REFUND_ID = "b2cb4f0f-3b8e-4a4e-9d2f-fb3f2b4c52a4"
SHOP_URL = "https://kauppa.example.fi"

SOCKS = {
    "type": "physical",
    "reference": "SOCK-WOOL-42",
    "name": "Villasukat, koko 42",
    "quantity": 2,
    "quantity_unit": "pcs",
    "unit_price": 2490,
    "tax_rate": FI_VAT,
    "total_amount": 4980,
    "total_discount_amount": 0,
    "total_tax_amount": 1012,  # 4980 × 2550 / 12550 = 1011.87
    "product_url": f"{SHOP_URL}/tuotteet/villasukat",
}
SHIPPING = {
    "type": "shipping_fee",
    "reference": "SHIPPING-POSTI",
    "name": "Toimitus Posti-pakettiautomaattiin",
    "quantity": 1,
    "unit_price": 590,
    "tax_rate": FI_VAT,
    "total_amount": 590,
    "total_discount_amount": 0,
    "total_tax_amount": 120,  # 119.88
}
VOUCHER = {
    "type": "discount",
    "reference": "KEVAT5",
    "name": "Alennuskoodi KEVAT5",
    "quantity": 1,
    "unit_price": -500,
    "tax_rate": FI_VAT,
    "total_amount": -500,
    "total_discount_amount": 0,
    "total_tax_amount": -102,  # -101.59
}
ORDER_LINES = [SOCKS, SHIPPING, VOUCHER]
ORDER_AMOUNT = 5070
ORDER_TAX_AMOUNT = 1030

BILLING_ADDRESS = {
    "given_name": "Test",
    "family_name": "Person-fi",
    "email": "customer@email.fi",
    "street_address": "Mannerheimintie 34",
    "postal_code": "00100",
    "city": "Helsinki",
    "phone": "+358401234567",
    "country": "FI",
}
PERSONAL_VALUES = ("Person-fi", "customer@email.fi", "Mannerheimintie 34", "00100", "+358401234567")


def _cart() -> dict:
    return {
        "purchase_country": "FI",
        "purchase_currency": "EUR",
        "locale": "fi-FI",
        "order_amount": ORDER_AMOUNT,
        "order_tax_amount": ORDER_TAX_AMOUNT,
        "order_lines": copy.deepcopy(ORDER_LINES),
        "merchant_reference1": "NS-1001",
        "merchant_reference2": "payment-7",
        "billing_address": dict(BILLING_ADDRESS),
    }


def session_create() -> dict:
    return {
        **_cart(),
        "intent": "buy",
        "acquiring_channel": "ECOMMERCE",
        "merchant_urls": {
            "authorization": f"{SHOP_URL}/klarna/authorized?secret=5d1f0d3e",
            "notification": SHOP_URL + "/klarna/notification?order={order.id}",
        },
    }


def create_order_request() -> dict:
    return {
        **_cart(),
        "auto_capture": False,
        "merchant_urls": {"confirmation": f"{SHOP_URL}/tilaus/NS-1001/kiitos"},
    }


def hpp_session_create(payment_session_url: str) -> dict:
    # HPP placeholders use double braces (API.md §2.1); these strings are not f-strings.
    back = SHOP_URL + "/kassa?hpp={{session_id}}&t=8c7e"
    return {
        "payment_session_url": payment_session_url,
        "merchant_urls": {
            "success": SHOP_URL + "/klarna/paluu?hpp={{session_id}}&token={{authorization_token}}&t=8c7e",
            "cancel": back,
            "back": back,
            "failure": back,
            "error": back,
            "status_update": SHOP_URL + "/klarna/hpp-tila?hpp={{session_id}}&t=8c7e",
        },
        "options": {"place_order_mode": "NONE", "purchase_type": "BUY", "page_title": "NordShop"},
    }


def capture() -> dict:
    return {
        "captured_amount": ORDER_AMOUNT,
        "description": "Toimitus 1/1",
        "reference": "NS-1001-1",
        "order_lines": copy.deepcopy(ORDER_LINES),
        "shipping_info": [
            {
                "shipping_company": "Posti",
                "shipping_method": "PickUpPoint",
                "tracking_number": "JJFI64252510000042816",
                "tracking_uri": "https://www.posti.fi/fi/seuranta#/lahetys/JJFI64252510000042816",
            }
        ],
    }


def refund() -> dict:
    return {
        "refunded_amount": 590,
        "description": "Toimitusmaksun hyvitys",
        "reference": "NS-1001-R1",
        "order_lines": [copy.deepcopy(SHIPPING)],
    }


def reduced_order_lines() -> list[dict]:
    """One pair of socks instead of two: order amount 2580, tax 524."""
    one_pair = {**SOCKS, "quantity": 1, "total_amount": 2490, "total_tax_amount": 506}
    return [one_pair, copy.deepcopy(SHIPPING), copy.deepcopy(VOUCHER)]


REDUCED_ORDER_AMOUNT = 2580
