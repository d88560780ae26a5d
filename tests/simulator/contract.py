"""Every exchange the simulator tests make is checked against Klarna's OpenAPI files:
the request body against the operation's request schema, the response body against the
response schema of its status (errors against the common error shape), and 201/204 bodies
must be empty where Klarna sends none."""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import requests

from tests.klarna_contract import validate

ID = r"[^/]+"
ORDER = rf"/ordermanagement/v1/orders/{ID}"
CAPTURE = rf"{ORDER}/captures/{ID}"
# (method, path pattern, api, request schema, {status: response schema}, 201 has a body)
OPERATIONS = [
    ("POST", r"/payments/v1/sessions", "payments", "session_create", {200: "merchant_session"}),
    ("GET", rf"/payments/v1/sessions/{ID}", "payments", None, {200: "session_read"}),
    ("POST", rf"/payments/v1/sessions/{ID}", "payments", "session", {}),
    ("POST", rf"/payments/v1/authorizations/{ID}/order", "payments", "create_order_request", {200: "order"}),
    ("DELETE", rf"/payments/v1/authorizations/{ID}", "payments", None, {}),
    ("POST", r"/hpp/v1/sessions", "hpp", "SessionCreationRequestV1", {201: "SessionCreationResponseV1"}),
    ("GET", rf"/hpp/v1/sessions/{ID}", "hpp", None, {200: "SessionResponseV1"}),
    ("DELETE", rf"/hpp/v1/sessions/{ID}", "hpp", None, {}),
    ("POST", rf"/hpp/v1/sessions/{ID}/distribution", "hpp", "DistributionRequestV1", {}),
    ("GET", ORDER, "ordermanagement", None, {200: "Order"}),
    ("PATCH", rf"{ORDER}/authorization", "ordermanagement", "Update_authorization", {}),
    ("PATCH", rf"{ORDER}/merchant-references", "ordermanagement", "Update_merchant_references", {}),
    ("PATCH", rf"{ORDER}/customer-details", "ordermanagement", "UpdateConsumer", {}),
    ("POST", rf"{ORDER}/shipping-info", "ordermanagement", "UpdateShippingInfo", {}),
    ("GET", rf"{ORDER}/captures", "ordermanagement", None, {200: ["Capture"]}),
    ("POST", rf"{ORDER}/captures", "ordermanagement", "CaptureObject", {}),
    ("GET", CAPTURE, "ordermanagement", None, {200: "Capture"}),
    ("POST", rf"{CAPTURE}/shipping-info", "ordermanagement", "UpdateShippingInfo", {}),
    ("GET", rf"{CAPTURE}/extend-due-date-options", "ordermanagement", None, {200: "ExtendDueDateOptions"}),
    ("PATCH", rf"{CAPTURE}/extend-due-date", "ordermanagement", "ExtendDueDateRequest", {}),
    ("POST", rf"{ORDER}/refunds", "ordermanagement", "RefundObject", {}),
    ("GET", rf"{ORDER}/refunds/{ID}", "ordermanagement", None, {200: "Refund"}),
    ("POST", rf"{ORDER}/(acknowledge|cancel|extend-authorization-time|release-remaining-authorization)",
     "ordermanagement", None, {}),
    ("POST", rf"{CAPTURE}/trigger-send-out", "ordermanagement", None, {}),
]
ERROR_SCHEMA = {"payments": ("payments", "ErrorV2"), "hpp": ("payments", "ErrorV2"),
                "ordermanagement": ("ordermanagement", "ErrorMessageDto")}


def operation(method: str, path: str):
    for op_method, pattern, *rest in OPERATIONS:
        if op_method == method and re.fullmatch(pattern, path):
            return rest
    raise AssertionError(f"no Klarna operation {method} {path}")


def check_exchange(response: requests.Response, check_request: bool = True) -> None:
    request = response.request
    api, request_schema, response_schemas = operation(request.method, urlsplit(request.url).path)
    if check_request and request_schema and request.body:
        validate(api, request_schema, json.loads(request.body))
    correlation = response.headers.get("Klarna-Correlation-Id")
    assert correlation, "every Klarna response carries Klarna-Correlation-Id"
    status = response.status_code
    if status >= 400:
        if response.content:  # 429 from the gateway may be empty
            validate(*ERROR_SCHEMA[api], response.json())
            assert response.json()["correlation_id"] == correlation
        return
    schema = response_schemas.get(status)
    if schema is None:
        assert response.content == b"", f"{status} from {request.method} {request.url} must be empty"
        return
    body = response.json()
    if isinstance(schema, list):
        assert isinstance(body, list)
        for item in body:
            validate(api, schema[0], item)
    else:
        validate(api, schema, body)
