from flask import redirect

from . import bp


@bp.get("/")
def root():
    return redirect("/fi/", code=302)
