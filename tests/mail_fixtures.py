"""A real SMTP server on a loopback port (aiosmtpd) that keeps what it receives, for any test.

    from tests.mail_fixtures import smtp_server, smtp_app_overrides  # noqa: F401  (fixtures)

`smtp_server.messages` are the received e-mails as `email.message.EmailMessage`; `smtp_server.stop()`
and `.start()` take the server down and bring it back on the same port. `delivered(app)` runs
the outbox sender once, as `flask --app wsgi mail send` would.
"""
from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """aiosmtpd's handler: one parsed message per accepted DATA, with the envelope's recipients."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refused: set[str] = set()  # recipients answered with 550

    async def handle_RCPT(self, _server, _session, envelope, address, _options) -> str:  # noqa: N802
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server, _session, envelope) -> str:  # noqa: N802  (aiosmtpd's hook name)
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if address in message["To"]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_app_overrides(smtp_server) -> dict:
    """The app's SMTP settings for the server above; sending is left to the test (no background thread)."""
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port, "SMTP_TLS": "none", "SMTP_TIMEOUT": 5.0,
            "MAIL_SENDER": "Nordshop <shop@nordshop.example>", "MAIL_SEND_IN_BACKGROUND": False}


def parts(message: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of a received e-mail."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return (text.get_content() if text else ""), (html.get_content() if html else "")


def delivered(app, now=None):
    """Run the outbox sender once (at `now`, default the real time); returns its report."""
    from shop.db import new_session
    from shop.mail.sender import send_due

    with app.app_context(), new_session(app) as session:
        return send_due(session, now=now)
