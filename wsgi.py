"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""
import logging
import os

logging.basicConfig(
    level=os.environ.get("SHOP_LOG_LEVEL", "INFO"),
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)

from shop import create_app  # noqa: E402

app = create_app()
