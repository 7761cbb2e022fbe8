"""What every onboarding service shares: its errors, who may do what, the contracts agents go to."""

from __future__ import annotations

from flask_babel import gettext as _

from ops import errors
from ops.auth.roles import ADMIN, MANAGER, TRAINER
from ops.errors import ServiceError

ASSIGNABLE_CONTRACT_STATES = ("active", "pending_signature")

WRITERS = (ADMIN, MANAGER, TRAINER)  # who changes agents, assignments and checklists
GATE_OVERRIDERS = (ADMIN, MANAGER)  # who may take an assignment live past an open checklist
REVEALERS = (ADMIN, MANAGER, TRAINER)  # who may see a sub-account password
RULE_EDITORS = (ADMIN, MANAGER, TRAINER)


class OnboardingError(ServiceError):
    """A refused onboarding action; ``field`` names the form field at fault, when there is one."""


class GoLiveRefused(OnboardingError):
    """The checklist is not complete; ``reasons`` lists every open required item."""

    def __init__(self, reasons: list[str], message: str | None = None):
        super().__init__(message or _("清单未完成，不能上线：%(r)s", r="；".join(reasons)))
        self.reasons = reasons


class NotAllowed(OnboardingError, errors.NotAllowed):
    """The user's role may not do this (views answer 403)."""


def _check_role(by, roles, message: str) -> None:
    if by is None or by.role not in roles:
        raise NotAllowed(message)
