"""The Klarna simulator's portal and switches open to the shop's logged-in admins only.

The simulator is an application of its own (mounted at /_klarna) that knows nothing of the shop;
it calls this guard for every portal page and control call. The guard reads the shop's session
cookie from the same request and answers None for an admin, or a redirect to the admin login.
"""
from __future__ import annotations

from typing import Callable

from flask import Flask, redirect, request, url_for
from flask_login import current_user

from shop.web import is_safe_redirect


def admin_login_guard(shop: Flask, mount_prefix: str) -> Callable[[], object]:
    def guard():
        environ = dict(request.environ)  # the simulator's view of the request: strip its prefix
        path = mount_prefix + environ.get("PATH_INFO", "")
        environ.update(SCRIPT_NAME=environ.get("SCRIPT_NAME", "").removesuffix(mount_prefix), PATH_INFO=path)
        with shop.request_context(environ):
            if current_user.is_authenticated:
                return None
            back_to = path if request.method == "GET" and is_safe_redirect(path) else None
            return redirect(url_for("admin.login", next=back_to) if back_to else url_for("admin.login"))

    return guard
