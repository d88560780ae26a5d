"""How a refund form is answered when it was submitted before: with the outcome recorded then."""
from __future__ import annotations

from flask_babel import gettext as _

from .payment_panel import Problem, in_progress


class AnsweredBefore(Exception):
    """The same refund form was submitted before: its recorded outcome was a refusal, or is still awaited."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def refund_outcome_problem(event) -> Problem | None:
    """A refund answered from its record (the same form sent again): refused, or still awaiting Klarna."""
    if event.kind == "refunded":
        return None
    if event.kind == "refund_failed":
        klarna_words = ((event.data or {}).get("message_args") or {}).get("message")
        return Problem(_("Klarna refused the action."), detail=klarna_words, correlation_id=event.correlation_id)
    return in_progress()
