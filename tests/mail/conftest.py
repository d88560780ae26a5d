"""Mail tests: the app with the real catalogs, Klarna's callbacks queued, and an SMTP server on loopback."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.models import OutboxMessage
from tests.conftest import TRANSLATIONS
from tests.klarna_fixtures import app, callbacks, gateway, simulator  # noqa: F401  (fixtures)
from tests.mail_fixtures import smtp_app_overrides, smtp_server  # noqa: F401  (fixtures)
from tests.storefront.conftest import db_session, merchant_client  # noqa: F401  (fixtures)


@pytest.fixture
def app_overrides(callbacks, smtp_app_overrides):  # noqa: F811
    return {"SIMULATOR_CALLBACK_SENDER": callbacks, "BABEL_TRANSLATION_DIRECTORIES": TRANSLATIONS,
            "MERCHANT_NAME": "Nordshop Oy", "MERCHANT_EMAIL": "asiakaspalvelu@nordshop.example",
            "MERCHANT_PHONE": "+358 9 123 4567", "MERCHANT_ADDRESS": "Esplanadi 1, 00130 Helsinki",
            **smtp_app_overrides}


def outbox(db_session, order=None) -> list[OutboxMessage]:
    db_session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if order is not None:
        query = query.where(OutboxMessage.order_id == order.id)
    return list(db_session.exec(query))
