
from datetime import datetime

from flask_login import UserMixin
from sqlmodel import Field, SQLModel
from werkzeug.security import check_password_hash, generate_password_hash

from .base import utcnow


class User(UserMixin, SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    locale: str = Field(default="fi", max_length=5)  # admin UI language
    active: bool = True
    # Part of the login cookie's user id: raising it ends every session of the user (logout, new password).
    session_generation: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        """Every login cookie issued so far stops working."""
        self.session_generation = (self.session_generation or 0) + 1

    def get_id(self) -> str:  # flask-login's "alternative id": what the session cookie holds
        return f"{self.id}:{self.session_generation or 0}"

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active
