"""The scheduled work: periodic tasks the queue consumer runs (``make run`` starts one; ``make worker``
more). What used to be cron lines in the README.

Huey evaluates the crontabs in UTC; the business day is Asia/Shanghai (UTC+8, no daylight saving),
so 16:05 UTC is 00:05 in Beijing, the first minutes of the new business day, and 01:00 UTC is
09:00, when people read what they are told. Every task is idempotent: run twice (two consumers on
a Redis queue each fire the schedule; a consumer restarted), it changes nothing the second time:

| task | when (Beijing) | what |
|---|---|---|
| expire_quotes_and_contracts | daily 00:05 | sent quotes past validity → expired; active contracts past their end → expired |
| accrue_late_fees | daily 00:15 | open drafts of ``late_fee_auto`` contracts bill late fees up to today |
| announce_expiring_contracts | daily 09:00 | ``contract.expiring`` once per contract, 30 days ahead |
| announce_golives_soon | daily 09:00 | ``assignment.golive_soon`` once per assignment, within 3 days |
| dunning | daily 09:30 | payment reminders (``dunning_reminders`` + ``invoice.dunning``) |

Each task runs inside an app context (``ops.tasks.runtime.periodic``) and commits its own work. The
consumer's heartbeat (every minute, read by /healthz) is ``ops.tasks.heartbeat``.
"""

from __future__ import annotations

from huey import crontab

from ops.extensions import db
from ops.tasks.runtime import periodic

# name -> crontab arguments (UTC), one table for the tasks, the docs and the test that checks them.
SCHEDULE: dict[str, dict[str, str]] = {
    "expire_quotes_and_contracts": {"minute": "5", "hour": "16"},
    "accrue_late_fees": {"minute": "15", "hour": "16"},
    "announce_expiring_contracts": {"minute": "0", "hour": "1"},
    "announce_golives_soon": {"minute": "0", "hour": "1"},
    "dunning": {"minute": "30", "hour": "1"},
}


@periodic(crontab(**SCHEDULE["expire_quotes_and_contracts"]))
def expire_quotes_and_contracts() -> dict[str, int]:
    """``flask quotes expire`` and ``flask contracts expire``, daily."""
    from ops.contracts.services import expire_contracts
    from ops.quotes.services import expire_quotes

    quotes = expire_quotes()
    db.session.commit()
    contracts = len(expire_contracts())
    db.session.commit()
    return {"quotes": quotes, "contracts": contracts}


@periodic(crontab(**SCHEDULE["accrue_late_fees"]))
def accrue_late_fees() -> int:
    from ops.billing.services import accrue_late_fees as accrue

    return accrue()  # one unit of work per contract


@periodic(crontab(**SCHEDULE["announce_expiring_contracts"]))
def announce_expiring_contracts() -> int:
    from ops.contracts.services import announce_expiring_contracts as announce

    new = announce()
    db.session.commit()
    return new


@periodic(crontab(**SCHEDULE["announce_golives_soon"]))
def announce_golives_soon() -> int:
    from ops.onboarding.services import announce_golives_soon as announce

    new = announce()
    db.session.commit()
    return new


@periodic(crontab(**SCHEDULE["dunning"]))
def dunning() -> int:
    from ops.billing.services import run_dunning

    return run_dunning()  # one unit of work per invoice
