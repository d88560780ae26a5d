"""`KlarnaClient`: one object with every KP, HPP and OM operation the shop uses."""
from __future__ import annotations

from .errors import KlarnaNotFound
from .hpp import HostedPaymentPageAPI
from .order_management import OrderManagementAPI
from .payments import PaymentsAPI

# A well-formed order id that no real order has; reading it proves only the credentials.
CREDENTIAL_PROBE_ORDER_ID = "5f0c6a1e-93d4-4b7e-a2c8-1d9e7b3f4a60"


class KlarnaClient(PaymentsAPI, HostedPaymentPageAPI, OrderManagementAPI):
    """Klarna Payments, Hosted Payment Page and Order Management on one set of credentials.

    `username`/`password` are the API username (merchant id based) and shared secret;
    `base_url` comes from `base_url_for(environment, region)` or points at the simulator.
    `session` may carry a mounted transport adapter; `timeout` is (connect, read) seconds.
    GETs and Order Management writes are retried up to `max_retries` times on no answer,
    5xx and 429, waiting `backoff` × 2^n seconds with jitter (through `sleep`).
    `on_call` receives a redacted `CallRecord` after every HTTP attempt.
    """

    def check_credentials(self) -> None:
        """Raise unless Klarna accepts these credentials on this host.

        Reads an Order Management order with a fixed, well-formed id that does not exist:
        a GET changes nothing, counts against the generous "other operations" rate limit
        (not the create-session one), and Klarna checks credentials before looking the
        order up. So Klarna's 404 (a JSON error body with an `error_code`, e.g.
        NO_SUCH_ORDER) means the credentials are fine; 401 raises
        KlarnaAuthenticationError, 403 KlarnaForbidden. A 404 without a Klarna error body
        comes from something that is not Klarna's API (a wrong base URL) and is re-raised.
        """
        try:
            self.get_order(CREDENTIAL_PROBE_ORDER_ID)
        except KlarnaNotFound as not_found:
            if not not_found.error_code:
                raise
