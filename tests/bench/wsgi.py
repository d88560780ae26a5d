"""What the bench's gunicorn serves: the shop, and a bare Flask route at /_bare/ on the same server."""
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from shop import create_app

bare = Flask("bare")


@bare.get("/")
def hello():
    return "Hello"


shop = create_app()
application = DispatcherMiddleware(shop, {"/_bare": bare})
