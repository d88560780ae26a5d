"""`flask --app wsgi mail send`: deliver the outbox (from cron; safe on several machines at once)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from shop import db as database

mail = AppGroup("mail", help="Customer e-mail: the outbox.")


@mail.command("send")
@click.option("--limit", default=500, show_default=True, help="At most this many e-mails in one run.")
def send(limit: int) -> None:
    """Send the e-mails that are due; failures wait for their retry."""
    from .sender import send_due

    with database.new_session() as session:
        report = send_due(session, limit=limit)
    if not report.configured:
        click.echo("SHOP_SMTP_HOST is not set: the outbox keeps its e-mails (see the admin's Sent e-mails).")
        return
    click.echo(f"Sent {report.sent}, to retry {report.retrying}, failed {report.failed}.")
    for error in report.errors:
        click.echo(f"  {error}", err=True)
