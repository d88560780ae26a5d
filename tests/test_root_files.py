"""Files clients ask for at the site root: the favicon and robots.txt are served; no root file name is taken
for a shop version's code and redirected to a slashed URL."""
from __future__ import annotations

from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "static"
# Names browsers, crawlers and platforms request at the root unasked.
ROOT_FILE_NAMES = ["sitemap.xml", "apple-touch-icon.png", "apple-touch-icon-precomposed.png", "browserconfig.xml",
                   "site.webmanifest", "manifest.json", "ads.txt", "humans.txt", "security.txt", "crossdomain.xml"]


def test_favicon_ico_is_a_real_icon_cached_for_a_day(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # the ICO file header
    assert response.data == (STATIC / "favicon.ico").read_bytes()
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    again = client.get("/favicon.ico", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_robots_txt_keeps_crawlers_out_of_carts_checkouts_orders_and_the_admin(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "max-age=86400" in response.headers["Cache-Control"]
    rules = [line.strip() for line in response.get_data(as_text=True).splitlines() if not line.startswith("#")]
    assert "User-agent: *" in rules
    for path in ("/admin/", "/_klarna/", "/*/cart", "/*/checkout", "/*/order/", "/*/klarna/"):
        assert f"Disallow: {path}" in rules
    assert "Disallow: /" not in rules  # the catalogue stays crawlable


@pytest.mark.parametrize("url", ["/fi/", "/admin/login"])
def test_pages_link_the_svg_icon_and_the_ico(client, url):
    html = client.get(url).get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in html
    assert '<link rel="icon" href="/static/favicon.svg?v=' in html
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"


@pytest.mark.parametrize("name", ROOT_FILE_NAMES)
def test_a_root_file_name_is_not_taken_for_a_shop_version(client, name):
    response = client.get(f"/{name}")
    assert response.status_code == 404  # not 308 to /<name>/
    assert "Location" not in response.headers


def test_a_version_code_without_its_slash_is_still_redirected(client):
    response = client.get("/fi")
    assert response.status_code == 308 and response.location.endswith("/fi/")
