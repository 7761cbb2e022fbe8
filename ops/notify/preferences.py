"""Who chose to receive what: every kind on every channel is on unless a row turns it off."""

from __future__ import annotations

import sqlalchemy as sa

from ops.extensions import db
from ops.notify.kinds import CHANNELS, CONTACT_KINDS, EMAIL, staff_kinds_for
from ops.notify.models import NotificationPreference


def _off(column, owner_ids) -> set[tuple[int, str, str]]:
    if not owner_ids:
        return set()
    rows = db.session.execute(
        sa.select(column, NotificationPreference.kind, NotificationPreference.channel).where(
            column.in_(list(owner_ids)), NotificationPreference.enabled.is_(False)
        )
    )
    return {(owner, kind, channel) for owner, kind, channel in rows}


def users_turned_off(user_ids) -> set[tuple[int, str, str]]:
    """(user id, kind, channel) that the users turned off."""
    return _off(NotificationPreference.user_id, user_ids)


def contacts_turned_off(contact_ids) -> set[tuple[int, str, str]]:
    """(contact id, kind, channel) that the contacts' pages turned off."""
    return _off(NotificationPreference.contact_id, contact_ids)


def _save(owner: dict, wanted: set[tuple[str, str]], offered: list[tuple[str, str]]) -> None:
    existing = {
        (p.kind, p.channel): p
        for p in db.session.scalars(sa.select(NotificationPreference).filter_by(**owner))
    }
    for kind, channel in offered:
        on = (kind, channel) in wanted
        row = existing.get((kind, channel))
        if row is None:
            if not on:
                db.session.add(NotificationPreference(kind=kind, channel=channel, enabled=False, **owner))
        else:
            row.enabled = on


def user_choices(user) -> set[tuple[str, str]]:
    """The (kind, channel) pairs ``user`` receives."""
    off = {(k, c) for _u, k, c in users_turned_off([user.id])}
    return {(k.code, c) for k in staff_kinds_for(user.role) for c in CHANNELS} - off


def set_user_choices(user, wanted: set[tuple[str, str]]) -> None:
    """Keep exactly ``wanted`` (kind, channel) pairs on for a staff user; the caller commits."""
    _save({"user_id": user.id}, wanted, [(k.code, c) for k in staff_kinds_for(user.role) for c in CHANNELS])


def contact_mail_kinds(contact) -> list[str]:
    """The e-mail kinds ``contact`` receives (every kind unless turned off), in catalogue order."""
    if contact.id is None:
        return [k.code for k in CONTACT_KINDS]
    off = {k for _c, k, _ch in contacts_turned_off([contact.id])}
    return [k.code for k in CONTACT_KINDS if k.code not in off]


def set_contact_mail_kinds(contact, kinds) -> None:
    """Keep exactly ``kinds`` on for a client contact's e-mail; unknown codes are ignored."""
    _save({"contact_id": contact.id}, {(k, EMAIL) for k in kinds}, [(k.code, EMAIL) for k in CONTACT_KINDS])
