"""The per-language texts of a catalogue record in its admin form: one section per language.

Every language's fields are in the one form, so saving keeps or re-renders all of them together.
An empty name or description means: show the default shop version's, else the record's own.
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import SQLModel
from wtforms import Form, FormField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from shop.models.texts import TEXT_NAME_LENGTH, Translatable

from .forms import LANGUAGE_NAMES

DESCRIPTION_LENGTH = 2000


def _strip(value: str | None) -> str:
    return (value or "").strip()


class LanguageTextForm(Form):
    name = StringField(_l("Name"), filters=[_strip], validators=[Optional(), Length(max=TEXT_NAME_LENGTH)])
    description = TextAreaField(_l("Description"), filters=[_strip], validators=[Length(max=DESCRIPTION_LENGTH)])


class LanguageNameForm(Form):
    """A name alone: for a record whose description shoppers never read (the Klarna method)."""
    name = LanguageTextForm.name


class LanguageInstructionsForm(LanguageTextForm):
    description = TextAreaField(_l("Payment instructions"), filters=[_strip],
                                validators=[Length(max=DESCRIPTION_LENGTH)])


def with_texts(form_class: type[FlaskForm], text_form: type[Form] = LanguageTextForm) -> type[FlaskForm]:
    """`form_class` with a `text_<language>` section per language."""
    sections = {f"text_{code}": FormField(text_form, label=name) for code, name in LANGUAGE_NAMES}
    return type(form_class.__name__, (form_class,), sections)


def text_sections(form: FlaskForm) -> list[tuple[str, Any]]:
    return [(code, form[f"text_{code}"]) for code, _name in LANGUAGE_NAMES]


def show_texts(form: FlaskForm, record: Translatable) -> None:
    """Fill the sections from the stored texts (a form not posted)."""
    for code, section in text_sections(form):
        stored = record.text_for(code) if record_has_id(record) else None
        section.form.name.data = stored.name if stored else ""
        if "description" in section.form:
            section.form.description.data = stored.description if stored else ""


def record_has_id(record: Translatable) -> bool:
    return getattr(record, "id", None) is not None


def apply_texts(form: FlaskForm, record: Translatable, text_class: type[SQLModel]) -> None:
    """Store the posted sections on `record.texts`; a language left empty has no row."""
    for code, section in text_sections(form):
        name = section.form.name.data or ""
        description = (section.form.description.data or "") if "description" in section.form else ""
        stored = record.text_for(code)
        if not name and not description:
            if stored is not None:
                record.texts.remove(stored)  # delete-orphan removes the row
        elif stored is None:
            record.texts.append(text_class(language=code, name=name, description=description))
        else:
            stored.name, stored.description = name, description
