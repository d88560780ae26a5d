"""What every API response shares: correlation ids, Klarna error bodies, Basic auth, JSON I/O."""
from __future__ import annotations

import json
import uuid

from flask import Response, current_app, g, request

API_PREFIXES = ("/payments/v1/", "/hpp/v1/", "/ordermanagement/v1/")
JSON_SUCCESS = "application/json;charset=utf-8"
JSON_ERROR = "application/json"


class ApiError(Exception):
    """An error answered with Klarna's error body `{error_code, error_messages, correlation_id}`."""

    def __init__(self, status: int, code: str, *messages: str, empty: bool = False):
        super().__init__(f"{status} {code}: {'; '.join(messages)}")
        self.status = status
        self.code = code
        self.messages = list(messages) or [code]
        self.empty = empty  # some gateway answers (429) carry no body


def bad_value(*fields: str) -> ApiError:
    return ApiError(400, "BAD_VALUE", *(f"Bad value: {field}" for field in fields))


def correlation_id() -> str:
    if "correlation_id" not in g:
        g.correlation_id = str(uuid.uuid4())
    return g.correlation_id


def is_api_path(path: str | None = None) -> bool:
    return (path or request.path).startswith(API_PREFIXES)


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    response = Response(payload, status=status, content_type=JSON_SUCCESS)
    response.headers.update(headers or {})
    return response


def empty_response(status: int = 204, headers: dict | None = None) -> Response:
    response = Response(b"", status=status)
    response.headers.pop("Content-Type", None)
    response.headers.update(headers or {})
    return response


def error_response(error: ApiError) -> Response:
    if error.empty:
        return empty_response(error.status)
    body = {
        "error_code": error.code,
        "error_messages": error.messages,
        "correlation_id": correlation_id(),
    }
    response = Response(json.dumps(body), status=error.status, content_type=JSON_ERROR)
    return response


def current_account() -> dict:
    """The authenticated merchant account of this API request, or 401."""
    if "account" in g:
        return g.account
    auth = request.authorization
    account = None
    if auth is not None and auth.type == "basic":
        sim = current_app.extensions["klarna_simulator"]
        account = sim.accounts.authenticate(auth.username, auth.password)
    if account is None:
        raise ApiError(401, "UNAUTHORIZED", "Authentication failed: missing or invalid credentials")
    g.account = account
    return account


def transact(work):
    """Run `work(simulator, account)` for the authenticated account as one atomic unit."""
    sim = current_app.extensions["klarna_simulator"]
    with sim.transaction():
        return work(sim, current_account())


def read_json(required: bool = True) -> dict:
    """The request body as a JSON object; an empty body is `{}` unless one is required."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ApiError(400, "BAD_VALUE", "Request body is missing")
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "BAD_VALUE", "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "BAD_VALUE", "Request body must be a JSON object")
    return body


def api_root() -> str:
    """Base URL of the API as this request reached it (incl. any mount prefix), without a trailing slash."""
    return request.url_root.rstrip("/")


def public_root() -> str:
    """Browser-facing base URL for the hosted page and redirects."""
    configured = current_app.config.get("SIMULATOR_PUBLIC_URL")
    return (configured or request.url_root).rstrip("/")


def install(app) -> None:
    """Hooks shared by all API blueprints: auth first, correlation header last, JSON errors."""

    @app.before_request
    def _authenticate():
        if is_api_path():
            current_account()

    @app.after_request
    def _correlate(response):
        if is_api_path() or request.path.startswith("/_simulator/"):
            response.headers.setdefault("Klarna-Correlation-Id", correlation_id())
        return response

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error_response(error)

    def _http_error(error):
        if not is_api_path():
            return error
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE",
                500: "INTERNAL_SERVER_ERROR"}.get(error.code, "BAD_VALUE")
        return error_response(ApiError(error.code, code, error.name))

    for status in (400, 404, 405, 413, 500):
        app.register_error_handler(status, _http_error)
