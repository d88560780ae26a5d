"""Orders of API.md §6 in Klarna's request shapes, and the merchant URLs a shop would send."""
from __future__ import annotations

import copy

SHOP = "https://shop.test"

FI_ORDER = {  # worked example 1: Finland, EUR, 24 % VAT with discounts
    "purchase_country": "FI", "purchase_currency": "EUR", "locale": "fi-FI",
    "order_amount": 16177, "order_tax_amount": 3131,
    "order_lines": [
        {"type": "physical", "reference": "SHOE-1", "name": "Juoksukenkä", "quantity": 2,
         "unit_price": 8990, "total_discount_amount": 1798, "total_amount": 16182,
         "tax_rate": 2400, "total_tax_amount": 3132},
        {"type": "shipping_fee", "name": "Toimitus", "quantity": 1, "unit_price": 495,
         "total_amount": 495, "tax_rate": 2400, "total_tax_amount": 96},
        {"type": "discount", "name": "Alennus -5 €", "quantity": 1, "unit_price": -500,
         "total_amount": -500, "tax_rate": 2400, "total_tax_amount": -97},
    ],
    "billing_address": {"given_name": "Test", "family_name": "Person-fi", "email": "customer@email.fi",
                        "street_address": "Mannerheimintie 34", "postal_code": "00100",
                        "city": "Helsinki", "country": "FI", "phone": "+358401234567"},
    "merchant_reference1": "1001",
    "merchant_urls": {"notification": f"{SHOP}/klarna/notification?order={{order.id}}",
                      "authorization": f"{SHOP}/klarna/authorized"},
}

SE_ORDER = {  # worked example 2: Sweden, SEK, 25 % VAT
    "purchase_country": "SE", "purchase_currency": "SEK", "locale": "sv-SE",
    "order_amount": 74599, "order_tax_amount": 14920,
    "order_lines": [
        {"type": "physical", "name": "T-shirt", "quantity": 3, "unit_price": 19900,
         "total_amount": 59700, "tax_rate": 2500, "total_tax_amount": 11940},
        {"type": "physical", "name": "Keps", "quantity": 1, "unit_price": 9999,
         "total_amount": 9999, "tax_rate": 2500, "total_tax_amount": 2000},
        {"type": "shipping_fee", "name": "Frakt", "quantity": 1, "unit_price": 4900,
         "total_amount": 4900, "tax_rate": 2500, "total_tax_amount": 980},
    ],
    "billing_address": {"given_name": "Alice", "family_name": "Test", "email": "customer@email.se",
                        "country": "SE"},
}

GB_ORDER = {  # United Kingdom, GBP, 20 % VAT: the market of pending (fraud review) orders
    "purchase_country": "GB", "purchase_currency": "GBP", "locale": "en-GB",
    "order_amount": 12000, "order_tax_amount": 2000,
    "order_lines": [{"type": "physical", "name": "Jumper", "quantity": 1, "unit_price": 12000,
                     "total_amount": 12000, "tax_rate": 2000, "total_tax_amount": 2000}],
    "billing_address": {"given_name": "Test", "family_name": "Person-uk",
                        "email": "customer+pend-accept-05@email.uk", "country": "GB"},
    "merchant_urls": {"notification": f"{SHOP}/klarna/notification?order={{order.id}}"},
}

HPP_URLS = {
    "success": f"{SHOP}/return/success?sid={{{{session_id}}}}&token={{{{authorization_token}}}}"
               f"&order={{{{order_id}}}}&keep={{{{klarna_reference}}}}",
    "cancel": f"{SHOP}/return/cancel?sid={{{{session_id}}}}",
    "back": f"{SHOP}/return/back?sid={{{{session_id}}}}",
    "failure": f"{SHOP}/return/failure?sid={{{{session_id}}}}",
    "error": f"{SHOP}/return/error?sid={{{{session_id}}}}",
    "status_update": f"{SHOP}/klarna/hpp-status?sid={{{{session_id}}}}&secret=s3cr3t",
}


def order(template: dict = FI_ORDER, **changes) -> dict:
    body = copy.deepcopy(template)
    body.update(changes)
    return body
