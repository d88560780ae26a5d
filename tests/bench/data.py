"""A database for the bench: migrated, the demo shop, then products and orders inserted in bulk."""
from __future__ import annotations

import random
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

from shop.models import (
    Category, Order, OrderEvent, OrderLine, Payment, PaymentEvent, PaymentMethod, Product, ShippingMethod,
    ShopVersion, new_token, utcnow,
)
from shop.orders import ORDER_NUMBER_OFFSET

CHUNK = 5_000
FIRST_NAMES = ("Aino", "Eero", "Sara", "Matti", "Åsa", "Lars", "Emma", "Oskar", "Ilona", "Niklas")
LAST_NAMES = ("Virtanen", "Korhonen", "Svensson", "Nieminen", "Öberg", "Lindqvist", "Mäkelä", "Berg")
# Latest payment of a generated order: (provider, state, share of orders)
PAYMENT_MIX = (("klarna", "authorized", 30), ("klarna", "captured", 35), ("klarna", "part_captured", 5),
               ("klarna", "expired", 3), ("klarna", "cancelled", 2), ("manual", "awaiting", 15),
               ("manual", "captured", 10))
PLENTY = 10**9  # stock: the load never runs out


def add_products(engine: Engine, wanted: int) -> None:
    with engine.begin() as connection:
        existing = connection.execute(select(func.count()).select_from(Product)).scalar_one()
        connection.execute(Product.__table__.update().values(stock=PLENTY))
        categories = connection.execute(select(Category.id)).scalars().all()
        rows = [{"sku": f"BENCH-{n:05d}", "slug": f"bench-product-{n}", "name": f"Bench product {n}",
                 "description": "A product for measuring.", "category_id": categories[n % len(categories)],
                 "price": 990 + n, "tax_class": "standard", "kind": "physical", "stock": PLENTY, "active": True}
                for n in range(max(wanted - existing, 0))]
        _insert(connection, Product, rows)


def add_orders(engine: Engine, count: int, seed: int = 11) -> None:
    """`count` orders of two products plus shipping, each with one payment and its events."""
    rng = random.Random(seed)
    with engine.begin() as connection:
        versions = connection.execute(select(ShopVersion)).all()
        products = connection.execute(select(Product.id, Product.sku, Product.name, Product.price)).all()
        shipping = connection.execute(select(ShippingMethod.id, ShippingMethod.name)).first()
        methods = {row.provider: row.id for row in connection.execute(select(PaymentMethod.id, PaymentMethod.provider))}
        first_id = (connection.execute(select(func.max(Order.id))).scalar_one() or 0) + 1
        first_payment = (connection.execute(select(func.max(Payment.id))).scalar_one() or 0) + 1
        mix = [(provider, state) for provider, state, share in PAYMENT_MIX for _ in range(share)]
        now = utcnow()
        for start in range(0, count, CHUNK):
            orders, lines, payments, order_events, payment_events = [], [], [], [], []
            for n in range(start, min(start + CHUNK, count)):
                order_id, payment_id = first_id + n, first_payment + n
                version = versions[n % len(versions)]
                created = now - timedelta(minutes=(count - n) * 3)
                picked = [products[(n * 7 + k) % len(products)] for k in range(2)]
                line_rows = [_line(order_id, p.id, "physical", p.sku, p.name, 1 + k, p.price, 2550)
                             for k, p in enumerate(picked)]
                line_rows.append(_line(order_id, None, "shipping_fee", "shipping", shipping.name, 1, 590, 2550))
                total = sum(row["quantity"] * row["unit_price"] for row in line_rows)
                provider, state = rng.choice(mix)
                given, family = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                orders.append(_order(order_id, version, created, given, family, n, shipping.id,
                                     methods[provider], payment_id, state))
                lines += line_rows
                payments.append(_payment(payment_id, order_id, methods[provider], provider, state, version.currency,
                                         total, created, rng))
                order_events.append({"order_id": order_id, "created_at": created, "kind": "placed",
                                     "message": "Order placed", "actor": "", "data": {"version": version.code}})
                payment_events.append({"payment_id": payment_id, "created_at": created, "kind": "authorized",
                                       "amount": total, "actor": "", "message": "Payment reserved", "data": {}})
            _insert(connection, Order, orders)
            _insert(connection, OrderLine, lines)
            _insert(connection, Payment, payments)
            _insert(connection, OrderEvent, order_events)
            _insert(connection, PaymentEvent, payment_events)
        if connection.dialect.name == "postgresql":  # the ids were given: move the sequences past them
            for table in ("shop_order", "payment"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
    analyze(engine)


def analyze(engine: Engine) -> None:
    """Statistics for the planner, as autovacuum would gather them on a shop that grew: without them
    PostgreSQL takes the freshly loaded tables for small and scans them instead of using the indexes."""
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def _insert(connection, model, rows: list[dict]) -> None:
    """Only the columns the table has: the same data set fits an older schema, for before-and-after runs."""
    if rows:
        columns = set(model.__table__.c.keys())
        connection.execute(insert(model.__table__), [{k: v for k, v in row.items() if k in columns} for row in rows])


def _line(order_id, product_id, kind, reference, name, quantity, unit_price, tax_rate) -> dict:
    return {"order_id": order_id, "product_id": product_id, "kind": kind, "reference": reference, "name": name,
            "quantity": quantity, "unit_price": unit_price, "tax_rate": tax_rate, "discount": 0,
            "shipped_quantity": 0, "returned_quantity": 0}


def _order(order_id, version, created, given, family, n, shipping_id, method_id, payment_id, state) -> dict:
    return {"id": order_id, "number": str(ORDER_NUMBER_OFFSET + order_id), "token": new_token(),
            "version_id": version.id, "status": "confirmed" if state != "awaiting" else "awaiting_payment",
            "currency": version.currency, "exchange_rate": Decimal(version.exchange_rate), "locale": version.locale,
            "country": version.country, "email": f"{given.lower()}.{family.lower()}{n}@example.com",
            "given_name": given, "family_name": family, "street_address": "Mannerheimintie 1",
            "postal_code": "00100", "city": "Helsinki", "phone": "", "shipping_method_id": shipping_id,
            "payment_method_id": method_id, "stock_reserved": True, "cart_id": None, "revision": 0,
            "latest_payment_id": payment_id, "created_at": created, "updated_at": created}


def _payment(payment_id, order_id, method_id, provider, state, currency, total, created, rng) -> dict:
    klarna = provider == "klarna"
    captured = total if state == "captured" else (total // 2 if state == "part_captured" else 0)
    return {"id": payment_id, "order_id": order_id, "method_id": method_id, "provider": provider, "state": state,
            "currency": currency, "amount": total, "captured_amount": captured, "refunded_amount": 0,
            "kp_session_id": str(uuid.uuid4()) if klarna else None,
            "hpp_session_id": str(uuid.uuid4()) if klarna else None,
            "klarna_order_id": str(uuid.uuid4()) if klarna else None,
            "klarna_reference": None, "payment_option": "INVOICE" if klarna else None,
            "expires_at": created + timedelta(days=28 + rng.randint(-3, 3)) if klarna else None,
            "created_at": created, "updated_at": created}
