"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""
import logging
import os

logging.basicConfig(
    level=os.environ.get("SHOP_LOG_LEVEL", "INFO"),
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)

logging.getLogger("alembic").setLevel(logging.WARNING)

from shop import create_app  # noqa: E402

app = create_app()
