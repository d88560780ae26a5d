"""Operator commands: `flask --app wsgi <command>`."""
from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlmodel import select

from . import db as database


def register(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(demo_data)
    app.cli.add_command(create_admin)
    app.cli.add_command(orders)
    app.cli.add_command(klarna)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or migrate the database to the current schema."""
    database.upgrade(current_app)
    click.echo(f"Database migrated to {database.head_revision()}.")


@click.command("demo-data")
@with_appcontext
@click.option("--admin-email", default="admin@example.com", show_default=True)
@click.option("--admin-password", default="admin-demo-password", show_default=True)
def demo_data(admin_email: str, admin_password: str) -> None:
    """Load demo shop versions, catalogue, shipping and payment methods (once)."""
    from .demo import load_demo_data

    created = load_demo_data(database.db(), admin_email=admin_email, admin_password=admin_password,
                             config=current_app.config)
    click.echo("Demo data loaded." if created else "Demo data already present; nothing changed.")


@click.command("create-admin")
@with_appcontext
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--locale", type=click.Choice(["fi", "sv", "en"]), default="fi", show_default=True)
def create_admin(email: str, password: str, locale: str) -> None:
    """Create an admin user, or reset the password of an existing one."""
    from .models import User

    if len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="--password")
    session = database.db()
    email = email.strip().lower()
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        user = User(email=email, locale=locale, password_hash="")
    user.set_password(password)
    session.add(user)
    session.commit()
    click.echo(f"Admin {email} ready.")


orders = AppGroup("orders", help="Inspect orders.")


@orders.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def show_order(number: str, as_json: bool) -> None:
    """Show an order with its lines, totals and payment transactions."""
    from .orders import find_order_by_number, order_as_dict

    order = find_order_by_number(database.db(), number)
    if order is None:
        raise click.ClickException(f"No order {number}.")
    data = order_as_dict(order)
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(f"Order {data['number']} ({data['status']}) {data['total']} {data['currency']}")
    for line in data["lines"]:
        click.echo(f"  {line['quantity']} x {line['name']}  {line['total']}")
    for payment in data["payments"]:
        click.echo(f"  payment {payment['id']} {payment['provider']} {payment['state']} {payment['amount']}")


klarna = AppGroup("klarna", help="Klarna payments.")


@klarna.command("sync")
def klarna_sync() -> None:
    """Reconcile with Klarna: finalise or abandon open sessions, read every live order, expire, extend.

    Safe to run from cron on several machines at once: runs started together read each payment once.
    """
    from .payments.gateway import current_gateway
    from .payments.sync import sync_all

    report = sync_all(database.db(), current_gateway())
    click.echo(f"checked {report.checked}, changed {report.changed}, finalised {report.finalised}, "
               f"abandoned {report.abandoned}, expired {report.expired}, extended {report.extended}, "
               f"retried on hold {report.retried}")
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.errors:
        raise SystemExit(1)
