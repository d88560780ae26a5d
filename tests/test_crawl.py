"""Every page a shopper or merchant can reach by following links answers without a server error."""
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

from tests.klarna_fixtures import gateway, make_order, paid_payment, simulator  # noqa: F401  (fixtures)

LINK = re.compile(r'href="([^"#]+)"')
SKIP = ("/static/", "/admin/logout", "/_klarna/")


def crawl(client, start: str, limit: int = 250) -> dict[str, int]:
    seen, queue = {}, deque([start])
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.mimetype != "text/html":
            continue
        for link in LINK.findall(response.get_data(as_text=True)):
            target = urljoin(url, link.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc or target.startswith(SKIP) or target in seen:
                continue
            queue.append(target)
    return seen


def test_the_storefront_has_no_broken_page(client):
    visited = crawl(client, "/fi/")
    assert len(visited) > 20
    assert not {url: status for url, status in visited.items() if status >= 500}


def test_the_admin_has_no_broken_page(admin_client, session, simulator, gateway):  # noqa: F811
    paid_payment(session, simulator, gateway, make_order(session, "sv"))
    visited = crawl(admin_client, "/admin/")
    assert any(url.startswith("/admin/orders/1") for url in visited)
    assert not {url: status for url, status in visited.items() if status >= 500}


def test_made_up_ids_and_parameters_are_not_server_errors(admin_client):
    for url in ("/admin/orders/xyz", "/admin/orders/999999", "/admin/orders?page=-3&status=nope",
                "/admin/orders?page=abc", "/admin/products/999999", "/en/p/no-such-product", "/en/c/none",
                "/en/order/not-a-token", "/en/klarna/x/1/success", "/zz/", "/en/c/books?page=x"):
        assert admin_client.get(url).status_code < 500, url
