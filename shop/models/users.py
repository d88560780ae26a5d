
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
    created_at: datetime = Field(default_factory=utcnow)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active
