"""The forms a crawl finds on the shop's pages, read as a browser would (fields, default values, choices)."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class Form:
    page: str
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> the values the page offers

    def defaults(self) -> dict[str, str]:
        return {name: values[0] if values else "" for name, values in self.fields.items()}


class _FormParser(HTMLParser):
    def __init__(self, page: str):
        super().__init__()
        self.page, self.forms, self._form, self._select = page, [], None, None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "").lower() == "post":
            self._form = Form(self.page, urljoin(self.page, attributes.get("action") or self.page))
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "button", "textarea") and attributes.get("name"):
            values = self._form.fields.setdefault(attributes["name"], [])
            if attributes.get("value") is not None:
                values.append(attributes["value"])
        elif tag == "select" and attributes.get("name"):
            self._select = self._form.fields.setdefault(attributes["name"], [])
        elif tag == "option" and self._select is not None and attributes.get("value") is not None:
            self._select.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_on(page: str, html: str) -> list[Form]:
    parser = _FormParser(page)
    parser.feed(html)
    return [form for form in parser.forms if not urlsplit(form.action).netloc or
            urlsplit(form.action).netloc == "localhost"]
