from __future__ import annotations

from typing import Any, Callable

import pytest
import responses

from shop.klarna import CallRecord, KlarnaClient

from .helpers import BASE_URL, SECRET, USERNAME


@pytest.fixture
def mocked():
    """Every HTTP request must be registered, and every registered answer used."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def records() -> list[CallRecord]:
    return []


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(records, sleeps) -> Callable[..., KlarnaClient]:
    def make(**overrides: Any) -> KlarnaClient:
        options: dict[str, Any] = {
            "base_url": BASE_URL,
            "on_call": records.append,
            "sleep": sleeps.append,
        }
        options.update(overrides)
        return KlarnaClient(USERNAME, SECRET, **options)

    return make


@pytest.fixture
def client(make_client) -> KlarnaClient:
    return make_client()
