"""Credentials: an assignment's platform sub-account, its password in the vault (``ops.onboarding.vault``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from ops import i18n
from ops.audit.services import record
from ops.extensions import db
from ops.onboarding import checklist, vault
from ops.onboarding.models import Assignment, Credential
from ops.onboarding.services.checklists import mark_item_done
from ops.onboarding.services.common import REVEALERS, WRITERS, OnboardingError, _check_role
from ops.timeutil import utcnow


def set_credential(
    assignment: Assignment, platform: str, account_name: str, password: str, *, by
) -> Credential:
    """Store the sub-account for the assignment, the password encrypted (audit holds no password).

    An empty password keeps the stored one when the credential exists already.
    """
    _check_role(by, WRITERS, _("您没有管理子账号的权限。"))
    account_name = (account_name or "").strip()
    if not account_name:
        raise OnboardingError(_("请输入子账号名。"), "account_name")
    credential = assignment.credential
    if credential is None and not password:
        raise OnboardingError(_("请输入子账号密码。"), "password")
    before = (
        {"platform": credential.platform, "account_name": credential.account_name} if credential else None
    )
    if credential is None:
        credential = Credential(
            assignment=assignment, account_name=account_name, password_ciphertext=vault.encrypt(password)
        )
        db.session.add(credential)
    elif password:
        credential.password_ciphertext = vault.encrypt(password)
    credential.platform = platform or ""
    credential.account_name = account_name
    credential.updated_by_id = by.id
    credential.updated_at = utcnow()
    record(
        "credential.set",
        assignment,
        summary=i18n._l("子账号 %(a)s", a=account_name),
        before=before,
        after={
            "platform": credential.platform,
            "account_name": account_name,
            "password_changed": bool(password),
        },
        actor=by,
    )
    _tick_sub_account_item(assignment, account_name, by)
    return credential


def _tick_sub_account_item(assignment: Assignment, account_name: str, by) -> None:
    """Saving the sub-account ticks the checklist's "子账号已创建" item (open, not closed by the
    assignment's end or cancellation); the sub-account's name is its evidence."""
    if assignment.end_on is not None or assignment.cancelled_at is not None:
        return
    for item in assignment.items:
        if item.title == checklist.SUB_ACCOUNT_TITLE and item.state in (checklist.TODO, checklist.BLOCKED):
            mark_item_done(item, by=by, evidence=account_name)


def reveal_password(assignment: Assignment, *, by) -> str:
    """The plain sub-account password, for trainers, managers and admins only; audited."""
    _check_role(by, REVEALERS, _("您没有查看子账号密码的权限。"))
    credential = assignment.credential
    if credential is None:
        raise OnboardingError(_("该分配还没有登记子账号。"))
    plain = vault.decrypt(credential.password_ciphertext)
    record(
        "credential.revealed",
        assignment,
        summary=i18n._l("查看子账号 %(a)s 的密码", a=credential.account_name),
        after={"account_name": credential.account_name},
        actor=by,
    )
    return plain


def rotate_vault_key(*, by=None) -> int:
    """Re-encrypt every stored credential under the newest vault key (the first of OPS_VAULT_KEY).

    All or nothing: every credential is read (row-locked) and decrypted first; if any cannot be
    decrypted with the configured keys nothing changes (VaultError). Otherwise all are rewritten and
    audited in one transaction, so a process killed half-way leaves every credential as it was,
    still readable with the key list. Returns the number of credentials re-encrypted.
    """
    from flask import current_app

    from ops.transactions import write_transaction

    with write_transaction():
        credentials = db.session.scalars(
            sa.select(Credential).order_by(Credential.id).with_for_update()
        ).all()
        failed = []
        for credential in credentials:
            try:
                vault.decrypt(credential.password_ciphertext)
            except vault.VaultError:
                failed.append(credential.id)
        if failed:
            raise vault.VaultError(
                _(
                    "%(n)s 个凭据无法用当前密钥解密（编号 %(ids)s），未做任何改动。",
                    n=len(failed),
                    ids=", ".join(str(i) for i in failed[:20]),
                )
            )
        for credential in credentials:
            credential.password_ciphertext = vault.rotate(credential.password_ciphertext)
            db.session.flush()  # written row by row inside the one transaction
        record(
            "vault.key_rotated",
            object_type="credentials",
            summary=i18n._l("凭据加密密钥轮换：%(n)s 个凭据已用新密钥重新加密", n=len(credentials)),
            after={
                "credentials": len(credentials),
                "keys_configured": len(vault.key_list(current_app.config.get("VAULT_KEY"))),
            },
            actor=by,
        )
    return len(credentials)
