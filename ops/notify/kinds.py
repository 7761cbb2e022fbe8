"""The event kinds people are told about: who hears of each, on which channels. Pure: no Flask."""

from __future__ import annotations

from dataclasses import dataclass

from ops.i18n import N_

IN_APP = "in_app"
EMAIL = "email"
CHANNELS = (IN_APP, EMAIL)
CHANNEL_LABELS = {IN_APP: N_("站内通知"), EMAIL: N_("邮件")}

# Delivery states: written "pending" before sending, "sending" while the send is under way,
# then "sent" / "failed" / "skipped" (no longer due, e.g. a reminder for an invoice paid meanwhile).
# A row left in "sending" by a crash is never resent automatically (shown as 状态未知).
DELIVERY_STATES = ("pending", "sending", "sent", "failed", "skipped")
DELIVERY_STATE_LABELS = {
    "pending": N_("待发送"),
    "sending": N_("发送中"),
    "sent": N_("已发送"),
    "failed": N_("失败"),
    "skipped": N_("已跳过"),
}
UNKNOWN_LABEL = N_("状态未知")


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    staff: bool  # staff users hear of it (in-app and e-mail)
    contacts: bool  # client contacts hear of it (e-mail)
    roles: tuple[str, ...] = ()  # the staff roles it concerns (its preferences shown to them); () = all


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind("quote.sent", N_("报价单已发送给客户"), staff=False, contacts=True),
        Kind("quote.accepted", N_("客户接受报价"), staff=True, contacts=False),
        Kind("quote.rejected", N_("客户拒绝报价"), staff=True, contacts=False),
        Kind("quote.approval_needed", N_("折扣待审批"), staff=True, contacts=False),
        Kind("deposit.received", N_("定金到账"), staff=True, contacts=True),
        Kind("material.uploaded", N_("客户上传培训资料"), staff=True, contacts=False),
        Kind("assignment.golive_soon", N_("坐席即将上线（3 天内）"), staff=True, contacts=False),
        Kind("invoice.issued", N_("账单已开具"), staff=False, contacts=True),
        Kind("payment.received", N_("收款回执"), staff=False, contacts=True),
        Kind("contract.expiring", N_("合同 30 天内到期"), staff=True, contacts=False),
        Kind("invoice.dunning", N_("账单催款提醒"), staff=False, contacts=True),
        Kind(
            "webhook.disabled", N_("Webhook 持续失败已自动停用"), staff=True, contacts=False, roles=("admin",)
        ),
    )
}
STAFF_KINDS = tuple(k for k in KINDS.values() if k.staff)
CONTACT_KINDS = tuple(k for k in KINDS.values() if k.contacts)


def staff_kinds_for(role: str) -> tuple[Kind, ...]:
    """The staff kinds a user of ``role`` may hear of (and choose on the preferences page)."""
    return tuple(k for k in STAFF_KINDS if not k.roles or role in k.roles)


def delivery_key(event_id: int, recipient: str, channel: str) -> str:
    """The unique key of one delivery: ``<event>:<u12|c7>:<channel>`` (written before sending)."""
    return f"{event_id}:{recipient}:{channel}"
