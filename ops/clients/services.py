"""Client actions. Each checks, writes and audits; the caller commits."""

import dataclasses
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from ops import hooks, i18n
from ops.audit.models import AuditEntry
from ops.audit.services import record, snapshot
from ops.auth.models import User
from ops.auth.roles import MANAGER, SALES, STAFF_ROLES
from ops.clients import plan as plan_rules
from ops.clients.constants import HALT_STAGES, SCOPES, SHIFTS, STAGE_ORDER, STAGES
from ops.clients.models import PLATFORM_CODES, Client, ClientContact, ClientShop, Needs, PlanItem
from ops.clients.taxid import validate_credit_code
from ops.errors import ServiceError
from ops.extensions import db
from ops.fapiao.rules import FAPIAO_TYPES
from ops.timeutil import utcnow
from ops.transactions import lock_row

CLIENT_FIELDS = (
    "name",
    "legal_name",
    "tax_id",
    "category",
    "owner_id",
    "address",
    "phone",
    "bank_name",
    "bank_account",
    "fapiao_type",
    "notes",
)
CONTACT_FIELDS = ("name", "title", "phone", "email", "wechat", "is_primary", "is_finance", "locale")
CONTACT_FLAGS = ("is_primary", "is_finance")
PLAN_ITEM_FIELDS = ("title", "owner_id", "due_on")
# Who may own a client: vendor staff who sell and look after accounts (never a client-portal user,
# nor admin, trainer or finance).
OWNER_ROLES = (SALES, MANAGER)


class ClientError(ServiceError):
    """A refused client action; the message is for the user. ``field`` names the form field at fault."""


# --- reading ------------------------------------------------------------------------------


def current_needs(client_id: int) -> Needs | None:
    """The newest version of a client's needs, or None."""
    return db.session.scalar(
        sa.select(Needs).where(Needs.client_id == client_id).order_by(Needs.version.desc()).limit(1)
    )


def needs_values(needs: Needs | None) -> dict | None:
    """A needs version as a plain dict of its business fields (for diffs and prefilling)."""
    if needs is None:
        return None
    return {field: getattr(needs, field) for field in plan_rules.NEEDS_DIFF_FIELDS}


def pipeline_facts(client: Client) -> plan_rules.PipelineFacts:
    """What is known about the client's progress through the six phases.

    Later modules contribute facts on ``hooks.PIPELINE_FACTS``: ``provider(client) -> dict`` of
    PipelineFacts fields.
    """
    # A paused or churned client keeps the progress it had made before the halt.
    stage = stage_before_halt(client) if client.stage in HALT_STAGES else client.stage
    facts = plan_rules.PipelineFacts(
        stage=stage,
        has_needs=db.session.scalar(sa.select(sa.exists().where(Needs.client_id == client.id))),
    )
    facts = dataclasses.replace(facts, **_quote_facts(client.id), **_later_facts(client.id))
    for provider in hooks.providers(hooks.PIPELINE_FACTS):
        facts = dataclasses.replace(facts, **(provider(client) or {}))
    return facts


def _quote_facts(client_id: int) -> dict:
    from ops.quotes.models import Quote

    sent, accepted = db.session.execute(
        sa.select(
            sa.func.count(Quote.sent_at),
            sa.func.count(sa.case((Quote.status == "accepted", 1))),
        ).where(Quote.client_id == client_id)
    ).one()
    return {"quotes_sent": sent, "quotes_accepted": accepted}


def _later_facts(client_id: int) -> dict:
    """Deposit, materials, training, go-live and invoicing facts, read straight from their tables
    (like the quote facts: one query each, the client's own rows)."""
    from ops.billing.models import Invoice
    from ops.contracts.models import Contract
    from ops.onboarding.models import Agent, Assignment
    from ops.training.models import Material

    def count(stmt) -> int:
        return db.session.scalar(stmt) or 0

    signed = Contract.status.in_(("active", "expired", "terminated"))
    deposit_in = count(
        sa.select(sa.func.count())
        .select_from(Contract)
        .where(Contract.client_id == client_id, signed, Contract.deposit_status != "due")
    )
    trained = count(
        sa.select(sa.func.count())
        .select_from(Assignment)
        .join(Agent, Agent.id == Assignment.agent_id)
        .where(Assignment.client_id == client_id, Agent.status.in_(("ready", "live")))
    )
    live = count(
        sa.select(sa.func.count())
        .select_from(Assignment)
        .where(Assignment.client_id == client_id, Assignment.go_live_on.is_not(None))
    )
    return {
        "deposit_received": deposit_in > 0,
        "materials_uploaded": count(
            sa.select(sa.func.count()).select_from(Material).where(Material.client_id == client_id)
        ),
        "training_done": trained > 0 or live > 0,
        "agents_live": live,
        "invoices_issued": count(
            sa.select(sa.func.count())
            .select_from(Invoice)
            .where(Invoice.client_id == client_id, Invoice.status.in_(("issued", "paid")))
        ),
    }


def plan_item_states(client: Client, items, facts: plan_rules.PipelineFacts | None = None) -> dict[int, str]:
    """Why each plan item counts as done — "hand", "event", "phase" — or "" (ops.clients.plan).

    ``facts``: the client's ``pipeline_facts`` when the caller has them already."""
    facts = facts or pipeline_facts(client)
    happened = plan_rules.events_happened(facts)
    phases_done = {p.phase for p in plan_rules.pipeline_phases(facts) if p.state == "done"}
    return {
        item.id: plan_rules.item_done_by(
            item.done_at is not None, item.tick_event, item.phase, happened, phases_done
        )
        for item in items
    }


def stage_counts(owner_id: int | None = None) -> dict[str, int]:
    """Number of clients per stage (all stages present, zeros included), optionally one owner's."""
    stmt = sa.select(Client.stage, sa.func.count()).group_by(Client.stage)
    if owner_id is not None:
        stmt = stmt.where(Client.owner_id == owner_id)
    counts = dict.fromkeys(STAGES, 0)
    counts.update(dict(db.session.execute(stmt).all()))
    return counts


def find_client_by_tax_id(tax_id: str) -> Client | None:
    return db.session.scalar(sa.select(Client).where(Client.tax_id == tax_id))


# --- clients ------------------------------------------------------------------------------


def _clean_client_data(data: dict, client: Client | None = None) -> dict:
    values = {field: (data.get(field) or "") for field in CLIENT_FIELDS if field != "owner_id"}
    values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    values["owner_id"] = data.get("owner_id") or None
    _check_owner(values["owner_id"], client)
    if not values["name"]:
        raise ClientError(_("请输入客户名称。"), "name")
    if values["tax_id"]:
        try:
            values["tax_id"] = validate_credit_code(values["tax_id"])
        except ValueError as exc:
            raise ClientError(str(exc), "tax_id") from exc
        other = find_client_by_tax_id(values["tax_id"])
        if other is not None and other is not client:
            raise ClientError(
                _(
                    "统一社会信用代码 %(code)s 已被客户“%(name)s”使用，同一家公司请勿重复建档。",
                    code=values["tax_id"],
                    name=other.name,
                ),
                "tax_id",
            )
    else:
        values["tax_id"] = None  # several clients may have no tax id yet (unique allows NULLs)
    values["fapiao_type"] = _check_fapiao_type(values, client)
    return values


def _check_fapiao_type(values: dict, client: Client | None) -> str:
    """发票类型: 普票 by default (a caller that does not send it keeps the client's); a 专票 needs the
    buyer's full invoicing details."""
    kind = values["fapiao_type"] or (client.fapiao_type if client is not None else "normal")
    if kind not in FAPIAO_TYPES:
        raise ClientError(_("发票类型无效。"), "fapiao_type")
    if kind == "special":
        required = (
            ("legal_name", _("公司全称")),
            ("tax_id", _("统一社会信用代码")),
            ("address", _("地址")),
            ("phone", _("电话")),
            ("bank_name", _("开户行")),
            ("bank_account", _("银行账号")),
        )
        missing = [label for field, label in required if not values.get(field)]
        if missing:
            raise ClientError(_("开具专票需要填写：%(fields)s。", fields="、".join(missing)), "fapiao_type")
    return kind


def _user(user_id) -> User | None:
    """The user with this id, or None (also for ids no database column could hold)."""
    from ops.urls import MAX_DB_INT

    if isinstance(user_id, bool) or not isinstance(user_id, int) or not 0 < user_id <= MAX_DB_INT:
        return None
    return db.session.get(User, user_id)


def _check_owner(owner_id, client: Client | None) -> None:
    """A client's owner is an existing sales or manager user, active unless already the owner."""
    if owner_id is None:
        return
    owner = _user(owner_id)
    keeps = client is not None and owner is not None and client.owner_id == owner.id
    if owner is None or owner.role not in OWNER_ROLES or not (owner.is_active_user or keeps):
        raise ClientError(_("负责人必须是在职的销售或经理。"), "owner_id")


def _check_plan_owner(owner_id) -> None:
    """A plan item's owner is an existing vendor staff user."""
    if owner_id and ((owner := _user(owner_id)) is None or owner.role not in STAFF_ROLES):
        raise ClientError(_("负责人必须是本公司员工。"), "owner_id")


def create_client(data: dict, *, by=None) -> Client:
    """Create a client (stage 潜在客户) from ``data`` (CLIENT_FIELDS, plus an optional first shop as
    ``shop_platform``/``shop_name``/``shop_url``). The owner defaults to ``by`` when ``by`` is sales."""
    values = _clean_client_data(data)
    if values["owner_id"] is None and by is not None and by.role == "sales":
        values["owner_id"] = by.id
    client = Client(stage="lead", **values)
    db.session.add(client)
    if (data.get("shop_name") or "").strip():
        _check_shop(data.get("shop_platform"), data.get("shop_name"))
        client.shops.append(
            ClientShop(
                platform=data["shop_platform"],
                shop_name=data["shop_name"].strip(),
                shop_url=(data.get("shop_url") or "").strip(),
            )
        )
    db.session.flush()
    record("client.created", client, summary=client.name, after=snapshot(client, CLIENT_FIELDS), actor=by)
    return client


def update_client(client: Client, data: dict, *, by=None) -> None:
    values = _clean_client_data(data, client)
    before = snapshot(client, CLIENT_FIELDS)
    for field, value in values.items():
        setattr(client, field, value)
    after = snapshot(client, CLIENT_FIELDS)
    changed = {k for k in CLIENT_FIELDS if before[k] != after[k]}
    if changed:
        client.updated_at = utcnow()
        record(
            "client.updated",
            client,
            summary=client.name,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
            actor=by,
        )


def advance_stage(client: Client, stage: str, *, reason: "str | i18n.LazyText" = "") -> bool:
    """Move the client's pipeline stage forward to ``stage`` (never backwards; paused and
    churned clients are left alone). Returns True when the stage changed."""
    if client.stage not in STAGE_ORDER or stage not in STAGE_ORDER:
        return False
    if STAGE_ORDER.index(stage) <= STAGE_ORDER.index(client.stage):
        return False
    before = client.stage
    client.stage = stage
    client.updated_at = utcnow()
    record(
        "client.stage_advanced",
        client,
        summary=reason or f"{before} -> {stage}",
        before={"stage": before},
        after={"stage": stage},
    )
    return True


def stage_before_halt(client: Client) -> str:
    """The pipeline stage the client had before it was paused or churned (潜在客户 when unknown)."""
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(
            AuditEntry.object_type == Client.__tablename__,
            AuditEntry.object_id == client.id,
            AuditEntry.action == "client.stage_changed",
        )
        .order_by(AuditEntry.id.desc())
    )
    for entry in entries:
        previous = (entry.before or {}).get("stage")
        if previous in STAGE_ORDER:
            return previous
    return "lead"


def set_client_stage(client: Client, stage: str, reason: str, *, by) -> None:
    """A manager's or admin's hand-set stage: pause or churn a client, or resume a paused or
    churned one (to ``stage`` in the pipeline order). A reason is required; audited."""
    if by is None or by.role not in ("manager", "admin"):
        raise ClientError(_("只有经理或管理员可以暂停、流失或恢复客户。"))
    reason = (reason or "").strip()
    if not reason:
        raise ClientError(_("请填写原因。"), "reason")
    if stage not in STAGES:
        raise ClientError(_("未知阶段。"), "stage")
    if stage == client.stage:
        raise ClientError(_("客户已处于“%(stage)s”阶段。", stage=STAGES[stage]), "stage")
    if stage not in HALT_STAGES and client.stage not in HALT_STAGES:
        raise ClientError(
            _("进行中的客户只能设为暂停或流失；推进阶段由报价、合同、上线等环节自动完成。"), "stage"
        )
    before = client.stage
    client.stage = stage
    client.updated_at = utcnow()
    record(
        "client.stage_changed",
        client,
        summary=reason,
        before={"stage": before},
        after={"stage": stage, "reason": reason},
        actor=by,
    )


# --- shops and contacts -------------------------------------------------------------------


def _check_shop(platform: str | None, shop_name: str | None) -> None:
    if platform not in PLATFORM_CODES:
        raise ClientError(_("请选择店铺所在平台。"), "platform")
    if not (shop_name or "").strip():
        raise ClientError(_("请输入店铺名称。"), "shop_name")


def add_shop(client: Client, platform: str, shop_name: str, shop_url: str = "", *, by=None) -> ClientShop:
    _check_shop(platform, shop_name)
    shop_name = shop_name.strip()
    if any(s.platform == platform and s.shop_name == shop_name for s in client.shops):
        raise ClientError(_("该平台下已有同名店铺。"), "shop_name")
    shop = ClientShop(platform=platform, shop_name=shop_name, shop_url=(shop_url or "").strip())
    client.shops.append(shop)
    client.updated_at = utcnow()
    db.session.flush()
    record(
        "client.shop_added",
        client,
        summary=f"{platform} {shop_name}",
        after={"platform": platform, "shop_name": shop_name, "shop_url": shop.shop_url},
        actor=by,
    )
    return shop


def remove_shop(shop: ClientShop, *, by=None) -> None:
    client = shop.client
    record(
        "client.shop_removed",
        client,
        summary=f"{shop.platform} {shop.shop_name}",
        before={"platform": shop.platform, "shop_name": shop.shop_name, "shop_url": shop.shop_url},
        actor=by,
    )
    client.shops.remove(shop)
    client.updated_at = utcnow()


def _contact_values(data: dict) -> dict:
    values = {f: (data.get(f) or "").strip() for f in CONTACT_FIELDS if f not in CONTACT_FLAGS}
    values.update({f: bool(data.get(f)) for f in CONTACT_FLAGS})
    values["locale"] = values["locale"] if values["locale"] in ("zh", "en") else "zh"
    if not values["name"]:
        raise ClientError(_("请输入联系人姓名。"), "name")
    return values


def _only_primary(client: Client, contact: ClientContact) -> None:
    if contact.is_primary:
        for other in client.contacts:
            if other is not contact:
                other.is_primary = False


def add_contact(client: Client, data: dict, *, by=None) -> ClientContact:
    """Add a contact; the first contact, or one flagged primary, becomes the primary contact."""
    values = _contact_values(data)
    if not client.contacts:
        values["is_primary"] = True
    contact = ClientContact(**values)
    client.contacts.append(contact)
    _only_primary(client, contact)
    client.updated_at = utcnow()
    db.session.flush()
    record(
        "client.contact_added",
        client,
        summary=contact.name,
        after=snapshot(contact, CONTACT_FIELDS),
        actor=by,
    )
    return contact


def contact_mail_kinds(contact: ClientContact) -> list[str]:
    """The e-mail kinds the contact receives (every kind unless turned off)."""
    from ops.notify.preferences import contact_mail_kinds as kinds

    return kinds(contact)


def update_contact(contact: ClientContact, data: dict, *, by=None) -> None:
    """Edit a contact; ``data["emails"]`` (when given) lists the e-mail kinds it receives."""
    from ops.notify.preferences import contact_mail_kinds, set_contact_mail_kinds

    values = _contact_values(data)
    before = snapshot(contact, CONTACT_FIELDS) | {"emails": contact_mail_kinds(contact)}
    for field, value in values.items():
        setattr(contact, field, value)
    if data.get("emails") is not None:
        set_contact_mail_kinds(contact, data["emails"])
    _only_primary(contact.client, contact)
    contact.client.updated_at = utcnow()
    record(
        "client.contact_updated",
        contact.client,
        summary=contact.name,
        before=before,
        after=snapshot(contact, CONTACT_FIELDS) | {"emails": contact_mail_kinds(contact)},
        actor=by,
    )


def remove_contact(contact: ClientContact, *, by=None) -> None:
    client = contact.client
    record(
        "client.contact_removed",
        client,
        summary=contact.name,
        before=snapshot(contact, CONTACT_FIELDS),
        actor=by,
    )
    client.contacts.remove(contact)
    if contact.is_primary and client.contacts:
        client.contacts[0].is_primary = True
    client.updated_at = utcnow()


# --- needs --------------------------------------------------------------------------------

NEEDS_OPTIONAL_INTS = (
    "peak_daily_consults",
    "peak_hour_share_bp",
    "aht_seconds",
    "concurrency",
    "sl_target_bp",
    "sl_answer_seconds",
    "avg_order_value_fen",
    "inquiry_conversion_bp",
    "sku_count",
)


def check_needs(data: dict) -> dict[str, str]:
    """Problems with a needs record (field -> Chinese message); empty when it is acceptable."""
    problems = {}
    if data.get("platform") not in PLATFORM_CODES:
        problems["platform"] = _("请选择平台。")
    if data.get("scope") not in SCOPES:
        problems["scope"] = _("请选择服务范围。")
    shifts = data.get("shifts") or []
    if not shifts or any(s not in SHIFTS for s in shifts):
        problems["shifts"] = _("请至少选择一个班次。")
    avg = data.get("avg_daily_consults")
    if avg is None or avg < 0:
        problems["avg_daily_consults"] = _("请输入日均咨询量（不小于 0）。")
    for field in NEEDS_OPTIONAL_INTS:
        value = data.get(field)
        if value is not None and value < 0:
            problems[field] = _("不能为负数。")
    peak = data.get("peak_daily_consults")
    if peak is not None and avg is not None and peak < avg:
        problems["peak_daily_consults"] = _("高峰日咨询量不能小于日均咨询量。")
    for field in ("peak_hour_share_bp", "sl_target_bp", "inquiry_conversion_bp"):
        value = data.get(field)
        if value is not None and not 0 <= value <= 10_000:
            problems[field] = _("百分比应在 0% 到 100% 之间。")
    if (data.get("sl_target_bp") is None) != (data.get("sl_answer_seconds") is None):
        problems["sl_answer_seconds"] = _("服务水平目标需同时填写百分比和应答秒数。")
    complexity = data.get("complexity")
    if complexity not in (1, 2, 3, 4, 5):
        problems["complexity"] = _("商品复杂度应为 1 到 5。")
    return problems


def record_needs(client: Client, data: dict, *, by=None) -> Needs:
    """Save the client's needs as a new version (the previous versions stay as they were).

    ``data`` holds the Needs fields: money in fen, shares in basis points, times in seconds.
    Raises ClientError (its ``field`` set) when a value is out of range.
    """
    problems = check_needs(data)
    if problems:
        field, message = next(iter(problems.items()))
        raise ClientError(message, field)
    previous = current_needs(client.id)
    values = {field: data.get(field) for field in plan_rules.NEEDS_DIFF_FIELDS}
    values["shifts"] = [s for s in SHIFTS if s in values["shifts"]]  # stored in the canonical order
    values["category"] = (values["category"] or "").strip()
    values["special_requirements"] = (values["special_requirements"] or "").strip()
    needs = Needs(
        client_id=client.id,
        version=(previous.version + 1) if previous else 1,
        created_by_id=getattr(by, "id", None),
        **values,
    )
    db.session.add(needs)
    client.updated_at = utcnow()
    db.session.flush()
    changes = plan_rules.diff_needs(needs_values(previous), values)
    record(
        "client.needs_recorded",
        client,
        summary=f"v{needs.version}",
        before={c.field: c.before for c in changes} if previous else None,
        after={c.field: c.after for c in changes} if previous else values,
        actor=by,
    )
    return needs


# --- plan ---------------------------------------------------------------------------------


def has_plan(client: Client) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(PlanItem.client_id == client.id))))


def create_plan_from_template(client: Client, *, by=None, start_date: date) -> list[PlanItem]:
    """Give the client the default plan (DEFAULT_PLAN), due dates counted from ``start_date``.

    Each item is owned by a role (PHASE_ROLES, WORK_RULES); the sales work items by the client's
    owner. Items tick themselves from what happened (``plan_item_states``). Refuses when the client
    already has a plan.
    """
    if has_plan(client):
        raise ClientError(_("该客户已有外包计划，不能重复创建。"))
    items = [
        PlanItem(
            client_id=client.id,
            phase=t.phase,
            kind=t.kind,
            position=t.position,
            title=t.title,
            due_on=t.due_on,
            # The client's owner (a salesperson) takes the sales items; the others wait for the
            # trainer, finance or the manager named by role.
            owner_role=t.owner_role,
            tick_event=t.event,
            owner_id=client.owner_id if t.kind == "work" and t.owner_role == "sales" else None,
        )
        for t in plan_rules.plan_from_template(start_date)
    ]
    db.session.add_all(items)
    db.session.flush()
    record(
        "client.plan_created",
        client,
        summary=i18n._l("按模板创建 %(n)s 项，起始 %(d)s", n=len(items), d=start_date),
        after={"items": len(items), "start_date": start_date},
        actor=by,
    )
    return items


def add_plan_item(
    client: Client,
    *,
    phase: int,
    kind: str,
    title: str,
    owner_id: int | None = None,
    due_on: date | None = None,
    by=None,
) -> PlanItem:
    if phase not in plan_rules.PHASE_NUMBERS:
        raise ClientError(_("阶段应为 1 到 6。"), "phase")
    if kind not in ("concern", "work"):
        raise ClientError(_("请选择类型。"), "kind")
    title = (title or "").strip()
    if not title:
        raise ClientError(_("请输入事项内容。"), "title")
    _check_plan_owner(owner_id)
    position = 1 + (
        db.session.scalar(
            sa.select(sa.func.max(PlanItem.position)).where(
                PlanItem.client_id == client.id, PlanItem.phase == phase
            )
        )
        or 0
    )
    item = PlanItem(
        client_id=client.id,
        phase=phase,
        kind=kind,
        title=title,
        position=position,
        owner_id=owner_id or None,
        due_on=due_on,
    )
    db.session.add(item)
    db.session.flush()
    record(
        "plan_item.added",
        item,
        summary=title,
        after=snapshot(item, ("phase", "kind") + PLAN_ITEM_FIELDS),
        actor=by,
    )
    return item


def update_plan_item(
    item: PlanItem, *, owner_id: int | None, due_on: date | None, title: str, by=None
) -> None:
    title = (title or "").strip()
    if not title:
        raise ClientError(_("请输入事项内容。"), "title")
    _check_plan_owner(owner_id)
    before = snapshot(item, PLAN_ITEM_FIELDS)
    item.title, item.owner_id, item.due_on = title, owner_id or None, due_on
    after = snapshot(item, PLAN_ITEM_FIELDS)
    if before != after:
        record("plan_item.updated", item, summary=title, before=before, after=after, actor=by)


def toggle_plan_item(item: PlanItem, *, by) -> bool:
    """Tick an item done (recording who and when) or untick it. Returns the new done state."""
    before = {"done_at": item.done_at, "done_by_id": item.done_by_id}
    if item.done_at is None:
        item.done_at, item.done_by_id = utcnow(), getattr(by, "id", None)
        action = "plan_item.done"
    else:
        item.done_at, item.done_by_id = None, None
        action = "plan_item.undone"
    record(
        action,
        item,
        summary=item.title,
        before=before,
        after={"done_at": item.done_at, "done_by_id": item.done_by_id},
        actor=by,
    )
    return item.done_at is not None


# --- archiving ----------------------------------------------------------------------------

LIVE_CONTRACT_STATES = ("draft", "pending_signature", "active")


def archive_client(client: Client, reason: str, *, by) -> None:
    """Hide a client from the client list and from new quotes, keeping every record.

    Refused while the client has a contract that is not over (draft, awaiting signature or
    active): end or cancel it first. Checked under the client's row lock; audited with the reason.
    """
    from ops.contracts.models import Contract  # clients never import contracts at module level

    client = lock_row(Client, client.id)
    reason = (reason or "").strip()
    if not reason:
        raise ClientError(_("请填写原因。"), "reason")
    if client.archived_at is not None:
        raise ClientError(_("该客户已归档。"))
    live = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Contract)
        .where(Contract.client_id == client.id, Contract.status.in_(LIVE_CONTRACT_STATES))
    )
    if live:
        raise ClientError(
            _("该客户还有 %(n)d 份未结束的合同（草稿、待签署或生效中），请先处理合同再归档。", n=live)
        )
    client.archived_at = utcnow()
    record("client.archived", client, summary=reason[:300], after={"reason": reason}, actor=by)


def restore_client(client: Client, *, by) -> None:
    """Bring an archived client back into the lists; audited."""
    client = lock_row(Client, client.id)
    if client.archived_at is None:
        raise ClientError(_("该客户未归档。"))
    client.archived_at = None
    record("client.restored", client, summary=client.name, actor=by)
