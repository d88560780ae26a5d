"""A hook for the storefront's per-process caches: call back after a commit that wrote certain rows."""
from __future__ import annotations

from itertools import chain
from typing import Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session


def after_committed_changes(flag: str, touches: Callable[[type], bool], changed: Callable[[Engine], None]) -> None:
    """`changed(engine)` after each commit that flushed or bulk-wrote a row of a model `touches` accepts.

    A rollback forgets what was noted. `flag` names the note in the session's info.
    """
    def note_flush(session, _flush_context) -> None:
        if any(touches(type(instance)) for instance in chain(session.new, session.dirty, session.deleted)):
            session.info[flag] = True

    def note_bulk(state) -> None:
        mapper = state.bind_mapper
        if (state.is_update or state.is_delete or state.is_insert) and mapper is not None and touches(mapper.class_):
            state.session.info[flag] = True

    def on_commit(session) -> None:
        if session.info.pop(flag, False):
            engine = session.get_bind()
            changed(getattr(engine, "engine", engine))

    def on_rollback(session) -> None:
        session.info.pop(flag, None)

    event.listen(Session, "after_flush", note_flush)
    event.listen(Session, "do_orm_execute", note_bulk)
    event.listen(Session, "after_commit", on_commit)
    event.listen(Session, "after_rollback", on_rollback)
