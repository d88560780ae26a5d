from flask import redirect

from . import bp


@bp.get("/login")
def login():
    return redirect("/")
