"""The fi, sv and en catalogs translate every string the code marks, and the pages speak their language.

When this fails after new strings were added: run `make extract-messages`, translate the entries with an
empty msgstr in shop/translations/<lang>/LC_MESSAGES/messages.po (English: msgstr = msgid), run again.
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import PYTHON_FORMAT, Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlmodel import select

from shop.models import User
from tests.conftest import ADMIN_EMAIL, TRANSLATIONS, login

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = Path(TRANSLATIONS)
LANGUAGES = ("fi", "sv", "en")
FIX = ("Run `make extract-messages`, then translate the entries with an empty msgstr in "
       "shop/translations/{lang}/LC_MESSAGES/messages.po (English: msgstr = msgid) and remove any fuzzy flag.")
EXTRACT_OPTIONS_LINE = re.compile(r"^EXTRACT_OPTIONS\s*:=\s*(.+)$", re.MULTILINE)


def po_path(lang: str) -> Path:
    return CATALOGS / lang / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=lang)


def compile_catalogs() -> None:
    """Compile each language's messages.po into messages.mo beside it when the .mo is missing or older."""
    for lang in LANGUAGES:
        source = po_path(lang)
        target = source.with_suffix(".mo")
        if not source.exists() or (target.exists() and target.stat().st_mtime >= source.stat().st_mtime):
            continue
        catalog = read_catalog(source, lang)
        with target.open("wb") as out:
            write_mo(out, catalog)


def extract_options() -> list[str]:
    """The options `make extract-messages` gives pybabel extract (mapping, keywords, directories)."""
    match = EXTRACT_OPTIONS_LINE.search((ROOT / "Makefile").read_text())
    assert match, "the Makefile no longer defines EXTRACT_OPTIONS, which this test extracts with"
    return shlex.split(match.group(1))


def extract(tree: Path, pot: Path) -> Catalog:
    """The messages marked in `tree`, extracted the way `make extract-messages` does."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tree)
        CommandLineInterface().run(["pybabel", "-q", "extract", *extract_options(), "-o", str(pot), "."])
    return read_catalog(pot)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Catalog:
    """Every message marked in the tree as it is now."""
    catalog = extract(ROOT, tmp_path_factory.mktemp("messages") / "messages.pot")
    assert len(catalog) > 0, "nothing was extracted: check babel.cfg and EXTRACT_OPTIONS in the Makefile"
    return catalog


def messages(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def forms(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if message.pluralizable else (message.string,)


def shown(message: Message) -> str:
    return repr(message.id if isinstance(message.id, str) else tuple(message.id))


def placeholders(text: str) -> set[str]:
    """%(name)s, %d and %% directives, the way the python-format flag understands them."""
    return {match.group(0) for match in PYTHON_FORMAT.finditer(text)}


class _AnyValue(dict):
    def __missing__(self, key):
        return 1


def formats(text: str) -> bool:
    """Jinja's gettext %-formats every template string, with or without arguments."""
    try:
        text % _AnyValue()
    except (ValueError, TypeError, KeyError):
        return False
    return True


def report(lang: str, problem: str, entries: list[str]) -> str:
    listed = "\n".join(f"  {entry}" for entry in entries)
    return f"{len(entries)} msgid(s) {problem} in the {lang} catalog:\n{listed}\n{FIX.format(lang=lang)}"


MARKED_PYTHON = """
from flask_babel import gettext, ngettext, lazy_gettext, gettext as _, lazy_gettext as _l
gettext("py gettext"); _("py underscore"); ngettext("py one", "py many", 2)
lazy_gettext("py lazy_gettext"); _l("py _l")
"""
MARKED_TEMPLATE = """
{{ _("jinja underscore") }} {{ gettext("jinja gettext") }} {{ ngettext("jinja one", "jinja many", 2) }}
{% trans %}jinja trans block{% endtrans %}
{% trans count=2 %}jinja trans one{% pluralize %}jinja trans many{% endtrans %}
"""


def test_extraction_finds_every_way_the_code_marks_a_string(tmp_path):
    (tmp_path / "babel.cfg").write_text((ROOT / "babel.cfg").read_text())
    for path, text in {"shop/views.py": MARKED_PYTHON, "templates/_macros/page.html": MARKED_TEMPLATE,
                       "shop/simulator/labels.py": '_("simulator label")'}.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    found = {m.id if isinstance(m.id, str) else m.id[0] for m in messages(extract(tmp_path, tmp_path / "messages.pot"))}
    assert found == {"py gettext", "py underscore", "py one", "py lazy_gettext", "py _l", "jinja underscore",
                     "jinja gettext", "jinja one", "jinja trans block", "jinja trans one"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_translates_every_extracted_message(extracted, lang):
    assert po_path(lang).exists(), f"shop/translations/{lang} has no catalog. {FIX.format(lang=lang)}"
    catalog = read_catalog(po_path(lang), lang)
    assert not catalog.fuzzy, f"the {lang} catalog's header is fuzzy, so it would not compile. {FIX.format(lang=lang)}"
    missing = [shown(m) for m in messages(extracted) if catalog.get(m.id, m.context) is None]
    assert not missing, report(lang, "missing", missing)
    entries = [catalog.get(m.id, m.context) for m in messages(extracted)]
    untranslated = [shown(e) for e in entries
                    if not all(forms(e)) or (e.pluralizable and len(forms(e)) != catalog.num_plurals)]
    assert not untranslated, report(lang, "untranslated", untranslated)
    fuzzy = [shown(e) for e in entries if e.fuzzy]
    assert not fuzzy, report(lang, "marked fuzzy", fuzzy)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders(extracted, lang):
    catalog = read_catalog(po_path(lang), lang)
    wrong = []
    for message in messages(extracted):
        entry = catalog.get(message.id, message.context)
        if entry is None:
            continue  # reported by the completeness test
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        expected = set().union(*(placeholders(text) for text in ids))
        from_template = any(path.endswith(".html") for path, _line in message.locations)
        must_format = from_template or message.python_format
        for text in forms(entry):
            if not text:
                continue  # reported by the completeness test
            if placeholders(text) != expected or (must_format and not formats(text)):
                wrong.append(f"{shown(message)} -> {text!r}")
    assert not wrong, report(lang, "with placeholders that differ from the msgid (keep %(name)s exactly, "
                                   "write a literal % as %% where the msgid does)", wrong)


@pytest.fixture
def app_overrides() -> dict:
    """This module's apps render the real catalogs (the other tests' apps show the msgids)."""
    return {"BABEL_TRANSLATION_DIRECTORIES": TRANSLATIONS}


@pytest.mark.parametrize("code, words, not_words", [
    ("fi", ("Ostoskori", "Lisää ostoskoriin", "Tuotteet"), ("Cart", "Varukorg")),
    ("sv", ("Varukorg", "Lägg i varukorgen", "Produkter"), ("Cart", "Ostoskori")),
    ("en", ("Cart", "Add to cart", "Products"), ("Ostoskori", "Varukorg")),
])
def test_storefront_speaks_the_shop_versions_language(client, code, words, not_words):
    response = client.get(f"/{code}/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{code}">' in html
    for word in words:
        assert re.search(rf"\b{word}\b", html), word
    for word in not_words:
        assert not re.search(rf"\b{word}\b", html), word


@pytest.mark.parametrize("locale, words, not_words", [
    ("fi", ("Tilaukset", "Asetukset", "Maksutavat", "Kauppaversiot"), ("Orders", "Settings")),
    ("sv", ("Beställningar", "Inställningar", "Betalningssätt", "Butiksversioner"), ("Tilaukset", "Settings")),
    ("en", ("Orders", "Settings", "Payment methods", "Shop versions"), ("Tilaukset", "Inställningar")),
])
def test_admin_speaks_the_users_language(client, session, locale, words, not_words):
    user = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
    user.locale = locale
    session.commit()
    login(client)
    html = client.get("/admin/orders").get_data(as_text=True)
    for word in words:
        assert f">{word}<" in html, word
    for word in not_words:
        assert f">{word}<" not in html, word
