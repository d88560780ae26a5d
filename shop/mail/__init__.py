"""Customer e-mail: an outbox written with the change that causes it, templates, and an SMTP sender.

- outbox.py: enqueue() — what other parts call (in their own transaction)
- triggers.py: which order and payment events queue which e-mail (a session hook)
- kinds.py, context.py, render.py: subjects, the frozen template context, rendering in the order's language
- sender.py: claims rows (FOR UPDATE SKIP LOCKED on PostgreSQL), sends with Flask-Mailman, retries with backoff
- background.py, commands.py: delivery after requests (`make run`) and `flask --app wsgi mail send` (cron)
"""
from __future__ import annotations

from flask import Flask

SMTP_PORTS = {"ssl": 465, "starttls": 587, "none": 25}


def init_app(app: Flask) -> None:
    from flask_mailman import Mail

    from . import background, triggers
    from .commands import mail

    config = app.config
    tls = str(config.get("SMTP_TLS") or "starttls").strip().lower()
    if tls not in SMTP_PORTS:
        raise ValueError(f"SHOP_SMTP_TLS must be one of {', '.join(SMTP_PORTS)}, not {tls!r}")
    config.update(
        MAIL_SERVER=config.get("SMTP_HOST") or "localhost", MAIL_PORT=int(config.get("SMTP_PORT") or SMTP_PORTS[tls]),
        MAIL_USERNAME=config.get("SMTP_USER") or None, MAIL_PASSWORD=config.get("SMTP_PASSWORD") or None,
        MAIL_USE_TLS=tls == "starttls", MAIL_USE_SSL=tls == "ssl", MAIL_TIMEOUT=config.get("SMTP_TIMEOUT", 30.0),
        MAIL_BACKEND="smtp",  # also under TESTING (Flask-Mailman would keep mail in memory): tests use a real server
    )
    Mail(app)
    triggers.install()
    background.init_app(app)
    app.cli.add_command(mail)
