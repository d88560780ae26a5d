"""Static files: content-hashed URLs cached for a year, CSS and htmx gzipped, old URLs revalidated."""
from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import pytest

from shop.static_assets import load_assets

STATIC = Path(__file__).resolve().parent.parent / "static"


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_link_fingerprinted_css_and_htmx(client):
    urls = _asset_urls(client.get("/en/").get_data(as_text=True))
    digest = hashlib.sha256((STATIC / "css/shop.css").read_bytes()).hexdigest()[:12]
    assert f"/static/css/shop.css?v={digest}" in urls
    assert any(url.startswith("/static/js/htmx.min.js?v=") for url in urls)


@pytest.mark.parametrize("filename", ["css/shop.css", "js/htmx.min.js"])
def test_a_fingerprinted_file_is_immutable_and_gzipped(client, filename):
    [url] = [u for u in _asset_urls(client.get("/en/").get_data(as_text=True)) if filename in u]
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.data) == (STATIC / filename).read_bytes()
    assert len(response.data) < (STATIC / filename).stat().st_size / 2
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_without_gzip_or_fingerprint_the_plain_file_is_revalidated(client):
    response = client.get("/static/css/shop.css")
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert response.data == (STATIC / "css/shop.css").read_bytes()
    assert response.headers["Cache-Control"] == "no-cache"
    stale = client.get("/static/css/shop.css?v=0123456789ab")  # a page cached from before a deploy
    assert stale.headers["Cache-Control"] == "no-cache"


def test_a_changed_file_gets_a_new_url(tmp_path):
    (tmp_path / "site.css").write_text("body { color: black }")
    before = load_assets(tmp_path)["site.css"].fingerprint
    (tmp_path / "site.css").write_text("body { color: navy }")
    assert load_assets(tmp_path)["site.css"].fingerprint != before


def test_a_missing_file_is_a_404(client):
    assert client.get("/static/css/nothing.css").status_code == 404
