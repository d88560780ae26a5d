"""Fault switches: make an API operation time out, fail with 5xx/429, refuse with 403 PAYMENT_METHOD_FAILED,
or drop the connection.

An operation is named by its view function (`create_capture`, `get_order`, `create_hpp_session`
... or `*` for all). The Flask hooks only mark the response with the private `X-Simulator-Fault`
header; how the fault reaches the client depends on the transport:

- in process (`SimulatorAdapter`): the adapter reads the header and raises `ReadTimeout` /
  `ConnectionError`;
- over a socket (`FaultMiddleware`): a timeout sleeps `SIMULATOR_FAULT_SLEEP_SECONDS` before
  answering 504, a reset closes the socket with RST.
"""
from __future__ import annotations

import socket
import struct
import time

from flask import g, request

from .wire import ApiError, empty_response, error_response, is_api_path

FAULT_HEADER = "X-Simulator-Fault"
IN_PROCESS = "klarna_simulator.in_process"
KINDS = ("timeout", "timeout_after", "500", "503", "429", "reset", "403_payment_method_failed")
ANY_OPERATION = "*"


class Faults:
    """The armed switches, kept in the simulator's store: every process on the same storage file
    (gunicorn's workers) sees a switch at once, and a countdown is shared by all of them."""

    KIND = "fault"

    def __init__(self, store):
        self._store = store

    def set(self, operation: str, kind: str, times: int | None = None) -> None:
        """Arm a fault for `times` calls (None: until cleared)."""
        kind = str(kind)
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(KINDS)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for always)")
        with self._store.transaction():
            self._store.delete(self.KIND, operation)  # a re-armed switch moves to the end of the list
            self._store.put(self.KIND, operation, {"operation": operation, "kind": kind, "times": times})

    def clear(self, operation: str | None = None) -> None:
        if operation is None:
            self._store.clear(self.KIND)
        else:
            self._store.delete(self.KIND, operation)

    def list(self) -> list[dict]:
        return self._store.all(self.KIND, newest_first=False)

    def take(self, operation: str) -> str | None:
        """The fault kind to apply to one call of `operation`, counting it down."""
        if not self._store.any(self.KIND):  # the common case: nothing armed, no write lock taken
            return None
        with self._store.transaction():
            for name in (operation, ANY_OPERATION):
                switch = self._store.get(self.KIND, name)
                if switch is None:
                    continue
                if switch["times"] is not None:
                    switch["times"] -= 1
                    if switch["times"] <= 0:
                        self._store.delete(self.KIND, name)
                    else:
                        self._store.put(self.KIND, name, switch)
                return switch["kind"]
        return None


def operation_name() -> str | None:
    return request.endpoint.rsplit(".", 1)[-1] if request.endpoint else None


def fault_response(kind: str):
    if kind == "500":
        return error_response(ApiError(500, "INTERNAL_SERVER_ERROR", "Unexpected server error"))
    if kind == "503":
        return error_response(ApiError(503, "TEMPORARILY_UNAVAILABLE", "Temporarily unavailable"))
    if kind == "403_payment_method_failed":  # the shopper's card or account failed; a later try may pass
        return error_response(ApiError(403, "PAYMENT_METHOD_FAILED", "The payment method failed. Capture not possible"))
    if kind == "429":
        limited = ApiError(429, "TOO_MANY_REQUESTS", "Too many requests",
                           empty=not request.path.startswith("/ordermanagement/"))
        response = error_response(limited)
        response.headers.update({"x-ratelimit-limit": "5, 5;w=1", "x-ratelimit-remaining": "0",
                                 "x-ratelimit-reset": "1"})
        return response
    response = empty_response(504)  # timeout and reset: the transport turns this into the fault
    response.headers[FAULT_HEADER] = "reset" if kind == "reset" else "timeout"
    return response


def install(app, faults: Faults) -> None:
    @app.before_request
    def _fault_before():
        if not is_api_path():
            return None
        kind = faults.take(operation_name() or "")
        if kind == "timeout_after":
            g.fault_after = True
            return None
        return fault_response(kind) if kind else None

    @app.after_request
    def _fault_after(response):
        if g.pop("fault_after", False):
            return fault_response("timeout")
        return response

    app.wsgi_app = FaultMiddleware(app.wsgi_app, app.config)


class FaultMiddleware:
    """Carries out marked faults for clients on a real socket; in-process calls pass untouched."""

    def __init__(self, wsgi_app, config):
        self.wsgi_app = wsgi_app
        self.config = config

    def __call__(self, environ, start_response):
        if environ.get(IN_PROCESS):
            return self.wsgi_app(environ, start_response)
        held = {}

        def hold(status, headers, exc_info=None):  # Flask answers through the returned iterable only
            held["args"] = (status, headers, exc_info)
            held["fault"] = next((v for k, v in headers if k.lower() == FAULT_HEADER.lower()), None)
            return None

        body = self.wsgi_app(environ, hold)
        if held.get("fault") == "reset":
            getattr(body, "close", lambda: None)()
            self._reset(environ.get("werkzeug.socket"))
            raise ConnectionResetError("connection reset by the Klarna simulator")
        if held.get("fault") == "timeout":
            time.sleep(float(self.config.get("SIMULATOR_FAULT_SLEEP_SECONDS", 30)))
        start_response(*held["args"])
        return body

    @staticmethod
    def _reset(sock) -> None:
        """End the connection without an answer; linger 0 makes the final close an RST."""
        if sock is None:
            return
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
