"""The forms of a product's Images section: an upload, and each image's order and alt texts."""
from __future__ import annotations

from typing import Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from .forms import LANGUAGE_NAMES

ALT_MAX_LENGTH = 300


def _alt_field(language_name: str) -> StringField:
    return StringField(_l("Alt text (%(language)s)", language=language_name),
                       validators=[Length(max=ALT_MAX_LENGTH)])


class AltTextFields:
    """One alt text per shop language: alt_fi, alt_sv, alt_en."""

    alt_fi = _alt_field(dict(LANGUAGE_NAMES)["fi"])
    alt_sv = _alt_field(dict(LANGUAGE_NAMES)["sv"])
    alt_en = _alt_field(dict(LANGUAGE_NAMES)["en"])

    def alt_texts(self) -> dict[str, str]:
        return {code: getattr(self, f"alt_{code}").data or "" for code, _name in LANGUAGE_NAMES}

    def show_alt_texts(self, alts: Mapping[str, str]) -> None:
        for code, _name in LANGUAGE_NAMES:
            getattr(self, f"alt_{code}").data = alts.get(code, "")


class ImageUploadForm(AltTextFields, FlaskForm):
    image = FileField(_l("Image file (JPEG, PNG, WebP or GIF)"),
                      validators=[FileRequired(message=_l("Choose an image file to upload."))])


class ImageEditForm(AltTextFields, FlaskForm):
    position = IntegerField(_l("Position (1 is the main image)"),
                            validators=[InputRequired(), NumberRange(min=1, max=999)])


REFUSAL_MESSAGES = {
    "empty": _l("The file is empty. Choose the image file again."),
    "too_large": _l("The image is too large: at most %(megabytes)s MB."),
    "too_many_pixels": _l("The image has too many pixels: at most %(megapixels)s million."),
    "not_image": _l("The file is not an image the shop can show. Upload a JPEG, PNG, WebP or GIF image."),
}
