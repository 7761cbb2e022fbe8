"""What each event says, per recipient language: subject, text, the page it links to, attachments.

Texts are msgids in Chinese translated with the recipient's locale (``force_locale``); nothing secret
(no password, token or credential) is ever put in one — only numbers, amounts, dates and links.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ops.billing.models import Invoice, Payment
from ops.billing.services.verification import public_base_url
from ops.clients.models import Client
from ops.contracts.models import Contract
from ops.extensions import db
from ops.money import format_fen
from ops.onboarding.models import Assignment
from ops.quotes.models import Quote
from ops.training.models import Material
from ops.webhooks.models import WebhookSubscription


class NotDue(Exception):
    """The delivery is no longer due (e.g. a reminder for an invoice settled meanwhile): skip it."""


class NotReady(Exception):
    """Not yet: what the message needs is not there yet (the invoice PDF); try again later."""


@dataclass
class Message:
    subject: str
    body: str
    link: str  # an on-site path (staff page or the client portal)
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


def path(endpoint: str, **values) -> str:
    """An on-site path, built without a request (tasks run in the consumer)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def absolute(link: str) -> str:
    return f"{public_base_url()}{link}"


def _get(model, event, name: str):
    obj = db.session.get(model, (event.payload or {}).get(name) or event.subject_id)
    if obj is None:
        raise NotDue(f"{model.__name__} {(event.payload or {}).get(name)} no longer exists")
    return obj


def _greeting(client: Client) -> str:
    return _("%(client)s 您好：", client=client.legal_name or client.name)


# --- one builder per kind: (event, staff?) -> Message, called inside force_locale ----------------


def _quote_sent(event, staff: bool) -> Message:
    quote = _get(Quote, event, "quote_id")
    link = path("portal.quote_detail", quote_id=quote.id)
    body = "\n\n".join(
        [
            _greeting(quote.client),
            _(
                "我们已向贵司发送报价单 %(quote)s：月度预估 %(total)s，有效期至 %(until)s。",
                quote=quote.label,
                total=format_fen(quote.total_fen),
                until=quote.valid_until.isoformat() if quote.valid_until else "",
            ),
            _("请登录客户门户查看、接受或拒绝：%(url)s", url=absolute(link)),
        ]
    )
    return Message(_("报价单 %(quote)s 已发送", quote=quote.label), body, link)


def _quote_decided(event, staff: bool) -> Message:
    quote = _get(Quote, event, "quote_id")
    accepted = event.kind == "quote.accepted"
    subject = (
        _("客户接受了报价 %(quote)s", quote=quote.label)
        if accepted
        else _("客户拒绝了报价 %(quote)s", quote=quote.label)
    )
    lines = [
        _("客户：%(client)s", client=quote.client.name),
        _("月度预估：%(total)s", total=format_fen(quote.total_fen)),
    ]
    if quote.decision_comment:
        lines.append(_("客户留言：%(comment)s", comment=quote.decision_comment))
    return Message(subject, "\n".join(lines), path("quotes.detail", quote_id=quote.id))


def _approval_needed(event, staff: bool) -> Message:
    quote = _get(Quote, event, "quote_id")
    body = "\n".join(
        [
            _("客户：%(client)s", client=quote.client.name),
            _("折扣：%(pct)s%%", pct=f"{quote.discount_bp / 100:g}"),
            _("月度预估：%(total)s", total=format_fen(quote.total_fen)),
        ]
    )
    return Message(
        _("报价 %(quote)s 的折扣待您审批", quote=quote.label), body, path("quotes.detail", quote_id=quote.id)
    )


def _deposit_received(event, staff: bool) -> Message:
    contract = _get(Contract, event, "contract_id")
    amount = format_fen(int((event.payload or {}).get("amount_fen") or 0))
    number = contract.number or ""
    if staff:
        body = _(
            "客户 %(client)s 的合同 %(number)s 定金到账 %(amount)s。",
            client=contract.client.name,
            number=number,
            amount=amount,
        )
        return Message(
            _("定金到账：%(number)s", number=number), body, path("contracts.detail", contract_id=contract.id)
        )
    link = path("portal.contract_detail", contract_id=contract.id)
    body = "\n\n".join(
        [
            _greeting(contract.client),
            _("我们已收到贵司合同 %(number)s 的定金 %(amount)s，谢谢。", number=number, amount=amount),
            _("合同详情：%(url)s", url=absolute(link)),
        ]
    )
    return Message(_("定金到账确认：%(number)s", number=number), body, link)


def _material_uploaded(event, staff: bool) -> Message:
    material = _get(Material, event, "material_id")
    client_name = material.client.name if material.client else ""
    body = _("客户 %(client)s 上传了培训资料“%(title)s”。", client=client_name, title=material.title)
    return Message(
        _("客户上传了培训资料：%(title)s", title=material.title),
        body,
        path("training.material_detail", material_id=material.id),
    )


def _golive_soon(event, staff: bool) -> Message:
    assignment = _get(Assignment, event, "assignment_id")
    on = (event.payload or {}).get("go_live_on") or (
        assignment.planned_go_live_on.isoformat() if assignment.planned_go_live_on else ""
    )
    body = _(
        "坐席 %(agent)s（客户 %(client)s）计划于 %(date)s 上线，请确认培训和上线清单已完成。",
        agent=assignment.agent.name,
        client=assignment.client.name,
        date=on,
    )
    return Message(
        _("%(date)s 上线：%(agent)s", date=on, agent=assignment.agent.name),
        body,
        path("onboarding.assignment_detail", assignment_id=assignment.id),
    )


def invoice_pdf_ready(invoice: Invoice) -> bool:
    """The invoice's PDF is stored (the "pdfs" part renders it on the queue after issuing)."""
    from ops.billing import services as billing

    ready = getattr(billing, "pdf_ready", None)
    return bool(ready(invoice)) if ready is not None else invoice.pdf_sha256 is not None


def _invoice_issued(event, staff: bool) -> Message:
    invoice = _get(Invoice, event, "invoice_id")
    if invoice.status == "void":
        raise NotDue("the invoice was voided before its e-mail went out")
    if not invoice_pdf_ready(invoice):
        raise NotReady("PDF 尚未生成")
    link = path("portal.invoice_detail", invoice_id=invoice.id)
    body = "\n\n".join(
        [
            _greeting(invoice.client),
            _(
                "贵司 %(period)s 的账单 %(number)s 已开具：应付 %(total)s，付款期限 %(due)s。账单 PDF 见附件。",
                period=invoice.period,
                number=invoice.number,
                total=format_fen(invoice.total_fen),
                due=invoice.due_on.isoformat() if invoice.due_on else "",
            ),
            _("在线查看：%(url)s", url=absolute(link)),
        ]
    )
    attachment = (f"{invoice.number}.pdf", bytes(invoice.pdf or b""), "application/pdf")
    return Message(_("账单 %(number)s 已开具", number=invoice.number), body, link, [attachment])


def _payment_received(event, staff: bool) -> Message:
    payment = _get(Payment, event, "payment_id")
    invoice = payment.invoice
    link = path("portal.invoice_detail", invoice_id=invoice.id)
    body = "\n\n".join(
        [
            _greeting(invoice.client),
            _(
                "我们已于 %(date)s 收到贵司对账单 %(number)s 的付款 %(amount)s，谢谢。尚未结清：%(balance)s。",
                date=payment.paid_on.isoformat(),
                number=invoice.number,
                amount=format_fen(payment.amount_fen),
                balance=format_fen(max(invoice.balance_fen, 0)),
            ),
            _("在线查看：%(url)s", url=absolute(link)),
        ]
    )
    return Message(_("收款回执：%(number)s", number=invoice.number), body, link)


def _contract_expiring(event, staff: bool) -> Message:
    contract = _get(Contract, event, "contract_id")
    ends_on = (event.payload or {}).get("ends_on") or contract.end_on.isoformat()
    body = _(
        "客户 %(client)s 的合同 %(number)s 将于 %(date)s 到期，请联系客户商谈续约。",
        client=contract.client.name,
        number=contract.number or "",
        date=ends_on,
    )
    return Message(
        _("合同 %(number)s 将于 %(date)s 到期", number=contract.number or "", date=ends_on),
        body,
        path("contracts.detail", contract_id=contract.id),
    )


def dunning_still_due(invoice: Invoice) -> bool:
    """At send time: the invoice is issued, not settled, not disputed, its client's dunning not paused."""
    if invoice.status != "issued" or invoice.balance_fen <= 0:
        return False
    return invoice.disputed_at is None and invoice.client.dunning_paused_at is None


def _dunning(event, staff: bool) -> Message:
    invoice = _get(Invoice, event, "invoice_id")
    if not dunning_still_due(invoice):
        raise NotDue("the invoice is settled, disputed or its client's reminders are paused")
    days = int((event.payload or {}).get("days") or 0)
    link = path("portal.invoice_detail", invoice_id=invoice.id)
    facts = dict(
        number=invoice.number,
        balance=format_fen(invoice.balance_fen),
        due=invoice.due_on.isoformat() if invoice.due_on else "",
    )
    if days < 0:
        text = _("贵司账单 %(number)s 将于 %(due)s 到期，未付金额 %(balance)s，请按时付款。", **facts)
    elif days == 0:
        text = _("贵司账单 %(number)s 今天（%(due)s）到期，未付金额 %(balance)s，请按时付款。", **facts)
    else:
        text = _(
            "贵司账单 %(number)s 已于 %(due)s 到期，已逾期 %(days)s 天，未付金额 %(balance)s，请尽快付款。",
            days=days,
            **facts,
        )
    paragraphs = [_greeting(invoice.client), text]
    final = bool((event.payload or {}).get("final"))  # the scan says which level is the last
    # The scan says whether the contract allows suspending the service (sched: suspension_warning).
    if final and (event.payload or {}).get("suspension_warning", True):
        paragraphs.append(
            _("这是最后一次提醒：如仍未付款，我们将按合同约定暂停服务。如已付款，请忽略本邮件并告知我们。")
        )
    elif final:
        paragraphs.append(_("这是最后一次提醒，请尽快付款。如已付款，请忽略本邮件并告知我们。"))
    paragraphs.append(_("在线查看：%(url)s", url=absolute(link)))
    subject = (
        _("最后提醒：账单 %(number)s 未付", number=invoice.number)
        if final
        else _("付款提醒：账单 %(number)s", number=invoice.number)
    )
    return Message(subject, "\n\n".join(paragraphs), link)


def _webhook_disabled(event, staff: bool) -> Message:
    subscription = _get(WebhookSubscription, event, "subscription_id")
    payload = event.payload or {}
    since = payload.get("failing_since", "")[:16].replace("T", " ")
    body = "\n\n".join(
        [
            _(
                "Webhook %(url)s 自 %(since)s（UTC）起投递全部失败，超过 %(days)s 天，系统已自动停用；"
                "期间的事件仍保留在投递记录中。",
                url=subscription.url,
                since=since,
                days=payload.get("days", ""),
            ),
            _(
                "请检查接收端后在 Webhook 页面重新启用，并可重发失败的投递：%(url)s",
                url=absolute(path("webhooks.detail", subscription_id=subscription.id)),
            ),
        ]
    )
    return Message(
        _("Webhook 已自动停用：%(url)s", url=subscription.url),
        body,
        path("webhooks.detail", subscription_id=subscription.id),
    )


BUILDERS: dict[str, Callable] = {
    "quote.sent": _quote_sent,
    "quote.accepted": _quote_decided,
    "quote.rejected": _quote_decided,
    "quote.approval_needed": _approval_needed,
    "deposit.received": _deposit_received,
    "material.uploaded": _material_uploaded,
    "assignment.golive_soon": _golive_soon,
    "invoice.issued": _invoice_issued,
    "payment.received": _payment_received,
    "contract.expiring": _contract_expiring,
    "invoice.dunning": _dunning,
    "webhook.disabled": _webhook_disabled,
}


def build_message(event, *, staff: bool, locale: str) -> Message:
    """The message of ``event`` for a staff user or a client contact, in ``locale``.

    Raises ``NotDue`` (skip the delivery) or ``NotReady`` (try again later)."""
    with force_locale(locale if locale in current_app.config["LANGUAGES"] else "zh"):
        return BUILDERS[event.kind](event, staff)
