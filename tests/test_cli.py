"""Operator commands through `flask --app wsgi ...` (Flask's CLI runner on the test app)."""
import json

from sqlmodel import select

from shop.models import Cart, CartItem, PaymentMethod, Product, ShippingMethod, ShopVersion, User
from shop.orders import Customer, place_order


def run(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=list(args), **kwargs)


def test_init_db_is_repeatable(app):
    result = run(app, "init-db")
    assert result.exit_code == 0 and "migrated" in result.output


def test_demo_data_loads_once(app):
    result = run(app, "demo-data")
    assert result.exit_code == 0 and "already present" in result.output


def test_create_admin_creates_and_resets_with_a_hashed_password(app, session):
    assert run(app, "create-admin", "Merchant@Example.com", "--password", "long-enough-pw").exit_code == 0
    user = session.exec(select(User).where(User.email == "merchant@example.com")).one()
    assert user.password_hash != "long-enough-pw" and user.check_password("long-enough-pw")
    assert run(app, "create-admin", "merchant@example.com", "--password", "another-password").exit_code == 0
    session.expire_all()
    assert session.get(User, user.id).check_password("another-password")


def test_create_admin_refuses_a_short_password(app):
    result = run(app, "create-admin", "x@example.com", "--password", "short")
    assert result.exit_code != 0 and "at least 8" in result.output


def test_create_admin_prompts_for_the_password(app, session):
    result = run(app, "create-admin", "prompted@example.com", input="prompted-pass\nprompted-pass\n")
    assert result.exit_code == 0, result.output
    assert session.exec(select(User).where(User.email == "prompted@example.com")).one().check_password("prompted-pass")


def test_orders_show_json_gives_lines_totals_and_payments(app, session):
    version = session.exec(select(ShopVersion).where(ShopVersion.code == "sv")).one()
    cart = Cart(version_id=version.id)
    session.add(cart)
    session.flush()
    shoe = session.exec(select(Product).where(Product.sku == "RUN-001")).one()
    session.add(CartItem(cart_id=cart.id, product_id=shoe.id, quantity=2))
    session.flush()
    session.refresh(cart)
    bank = session.exec(select(PaymentMethod).where(PaymentMethod.provider == "manual")).one()
    shipping = session.exec(select(ShippingMethod)).first()
    order = place_order(session, cart=cart, version=version, shipping=shipping, payment_method=bank,
                        customer=Customer("a@example.se", "Alice", "Test", "Gatan 1", "11148", "Stockholm"))
    session.commit()

    result = run(app, "orders", "show", order.number, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["number"] == order.number and data["currency"] == "SEK" and data["exchange_rate"] == "11.235000"
    assert [line["reference"] for line in data["lines"]] == ["RUN-001", "shipping"]
    assert data["total"] == sum(line["total"] for line in data["lines"])
    assert data["tax_total"] == sum(v["vat"] for v in data["vat"])
    assert data["payments"] == []


def test_orders_show_unknown_number_fails_clearly(app):
    result = run(app, "orders", "show", "999999")
    assert result.exit_code != 0 and "No order 999999" in result.output


def test_klarna_sync_with_nothing_to_do(app):
    result = run(app, "klarna", "sync")
    assert result.exit_code == 0 and "checked 0" in result.output
