"""No-JS shoppers and a merchant over real HTTP (requests), every request timed and its answer counted."""
from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urljoin

import requests

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
REFUND_TOKEN = re.compile(r'name="refund-(\d+)-refund_token" type="hidden" value="([^"]+)"')
CUSTOMER = {"email": "aino@example.com", "given_name": "Aino", "family_name": "Virtanen", "phone": "+358401234567",
            "street_address": "Mannerheimintie 1", "postal_code": "00100", "city": "Helsinki"}
REFRESH = re.compile(r'<meta http-equiv="refresh" content="(\d+);url=([^"]+)"')
TIMEOUT = (5, 60)


class Unexpected(Exception):
    """An answer no browser should get (a 5xx, or a page that is not where the flow leads)."""


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    checkouts: Counter = field(default_factory=Counter)  # started, paid, cancelled, retried
    merchant: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, status: int | None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] += 1

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)

    def count(self, counter: str, what: str) -> None:
        with self.lock:
            getattr(self, counter)[what] += 1


class Browser:
    """A browser without JavaScript: follows 303s itself, so that every request is timed on its own."""

    def __init__(self, base_url: str, stats: Stats, address: str | None = None):
        self.base_url, self.stats = base_url, stats
        self.http = requests.Session()
        if address:
            self.http.headers["X-Forwarded-For"] = address

    def request(self, method: str, path: str, data: dict | None = None, follow: bool = True) -> requests.Response:
        url = urljoin(self.base_url, path)
        while True:
            started = time.perf_counter()
            try:
                response = self.http.request(method, url, data=data, allow_redirects=False, timeout=TIMEOUT)
            except requests.RequestException as error:
                self.stats.record(time.perf_counter() - started, None)
                raise Unexpected(f"{method} {path}: {type(error).__name__}") from None
            self.stats.record(time.perf_counter() - started, response.status_code)
            if response.status_code >= 500:
                raise Unexpected(f"{method} {urlpath(url)}: {response.status_code}")
            if not (follow and response.status_code in (302, 303)):
                return response
            method, data, url = "GET", None, urljoin(url, response.headers["Location"])

    def csrf(self, html: str) -> str:
        match = CSRF.search(html)
        if not match:
            raise Unexpected("no CSRF token on the page")
        return match.group(1)


def urlpath(url: str) -> str:
    return "/" + url.split("/", 3)[-1]


@dataclass(frozen=True)
class Catalogue:
    products: list[tuple[int, str]]  # (id, slug)
    shipping_id: int
    klarna_id: int


def shopper_loop(number: int, base_url: str, catalogue: Catalogue, stop: threading.Event, stats: Stats,
                 cancel_share: float = 0.15) -> None:
    rng = random.Random(number)
    visit = 0
    while not stop.is_set():
        visit += 1
        browser = Browser(base_url, stats, address=f"10.{number // 250}.{number % 250}.{visit % 250 + 1}")
        try:
            one_checkout(browser, catalogue, rng, cancel_share)
        except Unexpected as error:
            stats.error(str(error))


def one_checkout(browser: Browser, catalogue: Catalogue, rng: random.Random, cancel_share: float) -> None:
    product_id, slug = rng.choice(catalogue.products)
    page = browser.request("GET", f"/fi/p/{slug}")
    token = browser.csrf(page.text)
    browser.request("POST", f"/fi/cart/add/{product_id}", {"quantity": str(rng.randint(1, 2)), "csrf_token": token})
    checkout = browser.request("GET", "/fi/checkout")
    hosted = browser.request("POST", "/fi/checkout", {
        **CUSTOMER, "shipping_method": str(catalogue.shipping_id), "payment_method": str(catalogue.klarna_id),
        "csrf_token": browser.csrf(checkout.text)}, follow=False)
    location = hosted.headers.get("Location", "")
    if hosted.status_code != 303 or "/_klarna/hpp/payments/" not in location:
        raise Unexpected(f"checkout answered {hosted.status_code} to {location or '-'}")
    browser.stats.count("checkouts", "started")
    if rng.random() < cancel_share:  # cancel on Klarna's page, come back to the cart, pay again
        back = hosted_page(browser, location, "cancel")
        browser.stats.count("checkouts", "cancelled")
        token = re.search(r'action="(/fi/order/[^/"]+/retry)"', back.text)
        if token is None:
            raise Unexpected("no way to pay again after cancelling")
        retried = browser.request("POST", token.group(1), {"csrf_token": browser.csrf(back.text),
                                                           "payment_method": str(catalogue.klarna_id)}, follow=False)
        location = retried.headers.get("Location", "")
        if "/_klarna/hpp/payments/" not in location:
            raise Unexpected(f"paying again answered {retried.status_code} to {location or '-'}")
        browser.stats.count("checkouts", "retried")
    confirmation = wait_for_confirmation(browser, hosted_page(browser, location, "approve"))
    if "/fi/order/" not in confirmation.url or confirmation.status_code != 200:
        raise Unexpected(f"after paying: {confirmation.status_code} at {urlpath(confirmation.url)}")
    browser.stats.count("checkouts", "paid")


def wait_for_confirmation(browser: Browser, page: requests.Response, refreshes: int = 10) -> requests.Response:
    """The "confirming your payment" page (202) refreshes itself without JavaScript (a meta refresh)."""
    for _ in range(refreshes):
        refresh = REFRESH.search(page.text) if page.status_code == 202 else None
        if refresh is None:
            return page
        browser.stats.count("checkouts", "waited")
        time.sleep(int(refresh.group(1)))
        page = browser.request("GET", refresh.group(2))
    return page


def hosted_page(browser: Browser, location: str, action: str) -> requests.Response:
    page = browser.request("GET", location)
    if page.status_code != 200:
        raise Unexpected(f"Klarna's hosted page answered {page.status_code}")
    return browser.request("POST", location, {"action": action, "category": "PAY_LATER"})
