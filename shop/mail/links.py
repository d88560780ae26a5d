"""Absolute links in e-mails, built by the app's URL map also where no request is (cron, the sync)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_app_context, has_request_context, url_for


def external_url(endpoint: str, **values) -> str:
    """The endpoint's absolute URL: the request's host, else SHOP_PUBLIC_URL; "" when neither is known."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    if not has_app_context():
        return ""
    public = urlsplit(current_app.config.get("PUBLIC_URL") or "")
    if not public.netloc:
        return ""
    adapter = current_app.url_map.bind(public.netloc, script_name=public.path or "/", url_scheme=public.scheme)
    return adapter.build(endpoint, values, force_external=True)


def admin_order_url(number: str) -> str:
    return external_url("admin.order", number=number)
