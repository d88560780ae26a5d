"""The catalogue's categories: their order on the storefront and their names in each language."""
from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import select

from shop.db import db
from shop.web import done
from shop.models import Category, CategoryText, Product

from . import bp
from .catalog import unique_slug
from .common import go_to, render
from .forms import CategoryForm
from .text_forms import apply_texts, show_texts, with_texts

EDIT_PAGE = "admin/catalog/edit.html"
CATEGORY_FORM = "admin/catalog/_category_form.html"
CategoryTextsForm = with_texts(CategoryForm)


@bp.get("/categories")
def categories():
    session = db()
    rows = session.exec(select(Category).order_by(Category.position, Category.name)).all()
    counts = dict(session.exec(select(Product.category_id, func.count()).group_by(Product.category_id)).all())
    return render_template("admin/catalog/categories.html", categories=rows, product_counts=counts)


@bp.route("/categories/new", methods=["GET", "POST"])
def category_new():
    return _edit_category(Category(slug="", name=""))


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
def category_edit(category_id: int):
    return _edit_category(db().get(Category, category_id) or abort(404))


def _edit_category(category: Category):
    form = CategoryTextsForm(obj=category)
    if request.method == "GET":
        show_texts(form, category)
        return _form_page(form, category)
    if not form.validate_on_submit():
        return _form_page(form, category, status=422)
    created = category.id is None
    category.name = form.name.data.strip()
    category.position = form.position.data
    if not category.slug:  # the storefront's address of the category stays what it was
        category.slug = unique_slug(category.name, Category.slug, fallback="category", length=70)
    apply_texts(form, category, CategoryText)
    session = db()
    session.add(category)
    session.commit()
    if created:
        return go_to(url_for("admin.categories"), _("Category saved."))
    return done(_("Category saved."), url_for("admin.categories"), CATEGORY_FORM, form=form, record=category)


def _form_page(form, category: Category, *, status: int = 200):
    title = category.name if category.id is not None else _("New category")
    return render(EDIT_PAGE, CATEGORY_FORM, status=status, form=form, record=category, form_partial=CATEGORY_FORM,
                  title=title)

