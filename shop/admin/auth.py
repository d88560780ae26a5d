"""Logging in and out, the login wall in front of every admin page, and the admin language."""
from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func
from sqlmodel import select
from werkzeug.security import check_password_hash, generate_password_hash

from shop.db import db
from shop.models import User
from shop.web import is_htmx, is_safe_redirect

from . import bp
from .forms import LanguageForm, LoginForm

PUBLIC_ENDPOINTS = {"admin.login"}


@bp.before_request
def require_login():
    """The one login check of the admin: anonymous visitors go to the login page."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    back_to = _page_to_return_to()
    login_url = url_for("admin.login", next=back_to) if back_to else url_for("admin.login")
    if is_htmx():  # a swap would put the login page inside a component: navigate instead
        return "", 401, {"HX-Redirect": login_url}
    return redirect(login_url)


def _page_to_return_to() -> str | None:
    if is_htmx():
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        path = current.path + (f"?{current.query}" if current.query else "")
    elif request.method == "GET":
        path = request.full_path.rstrip("?")
    else:
        return None  # a POST cannot be replayed by a redirect
    return path if is_safe_redirect(path) else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_after_login(form.next.data))
    error = None
    if form.validate_on_submit():
        user = _authenticate(form.email.data, form.password.data)
        if user is not None and login_user(user):
            return redirect(_after_login(form.next.data), code=303)
        error = _("Wrong e-mail address or password.")
    status = 422 if request.method == "POST" else 200
    return render_template("admin/login.html", form=form, error=error), status


def _authenticate(email: str, password: str) -> User | None:
    user = db().exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()
    if user is None:
        check_password_hash(_unknown_user_hash(), password)  # same work either way: no user enumeration by timing
        return None
    return user if user.check_password(password) and user.active else None


@cache
def _unknown_user_hash() -> str:
    return generate_password_hash("no user has this password")


def _after_login(target: str | None) -> str:
    return target if is_safe_redirect(target) else url_for("admin.orders")


@bp.post("/logout")
def logout():
    """Ends the session everywhere: a copy of this cookie, on any machine, no longer logs in."""
    user = current_user._get_current_object()
    user.end_sessions()
    db().add(user)
    db().commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("admin.login"), code=303)


@bp.post("/language")
def language():
    """The admin's language, kept on the user. A full page load follows: every text changes."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return render_template("errors/400.html"), 422
    current_user.locale = form.locale.data
    session = db()
    session.add(current_user._get_current_object())
    session.commit()
    refresh()  # this request's flash message already in the new language
    flash(_("Language changed."), "success")
    target = form.next.data
    return redirect(target if is_safe_redirect(target) else url_for("admin.orders"), code=303)
