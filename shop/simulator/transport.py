"""A requests transport adapter that calls the simulator's WSGI app in process (no socket).

    session.mount("http://klarna.simulator/", SimulatorAdapter(app))

Responses are real `requests.Response` objects. Faults marked by the simulator become the
exceptions a network would raise: `ReadTimeout` for timeouts, `ConnectionError` for resets.
"""
from __future__ import annotations

import io
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3 import HTTPResponse
from werkzeug.test import EnvironBuilder, run_wsgi_app

from .faults import FAULT_HEADER, IN_PROCESS


class SimulatorAdapter(BaseAdapter):
    def __init__(self, app):
        super().__init__()
        self.app = app
        self._builder = HTTPAdapter()  # only for build_response(), which never opens a connection

    def send(self, request: requests.PreparedRequest, stream=False, timeout=None, verify=True,
             cert=None, proxies=None) -> requests.Response:
        parts = urlsplit(request.url)
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        elif body is not None and not isinstance(body, (bytes, str)):
            body = b"".join(chunk.encode() if isinstance(chunk, str) else chunk for chunk in body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        builder = EnvironBuilder(
            path=parts.path or "/", base_url=f"{parts.scheme}://{parts.netloc}",
            query_string=parts.query, method=request.method,
            headers=[(k, v) for k, v in request.headers.items()
                     if k.lower() not in ("content-length", "transfer-encoding")],  # the body is whole here
            data=body or b"", environ_overrides={IN_PROCESS: True})
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        app_iter, status, headers = run_wsgi_app(self.app, environ, buffered=True)
        try:
            content = b"".join(app_iter)
        finally:
            getattr(app_iter, "close", lambda: None)()
        fault = headers.get(FAULT_HEADER)
        if fault == "reset":
            raise requests.exceptions.ConnectionError(
                "Connection reset by peer (simulated)", request=request)
        if fault == "timeout":
            raise requests.exceptions.ReadTimeout(
                f"Read timed out (simulated; read timeout={timeout})", request=request)
        code, _, reason = status.partition(" ")
        raw = HTTPResponse(body=io.BytesIO(content), headers=list(headers.items()), status=int(code),
                           reason=reason, preload_content=False, decode_content=False,
                           request_url=request.url)
        response = self._builder.build_response(request, raw)
        response.connection = self
        return response

    def close(self) -> None:
        self._builder.close()
