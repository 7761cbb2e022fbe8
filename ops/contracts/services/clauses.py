"""Breach clauses: a contract's own (edited while draft) and the library new contracts copy from."""

from __future__ import annotations

import sqlalchemy as sa

from ops.audit.services import record, snapshot
from ops.contracts.models import ClauseTemplate, Contract, ContractClause
from ops.contracts.services.common import ContractError, require_draft
from ops.extensions import db


def set_clauses(contract: Contract, rows: list[dict], by=None) -> None:
    """Replace a draft contract's breach clauses (rows: title, body, template_id)."""
    require_draft(contract)
    errors = [
        f"第 {i} 条违约条款的标题和内容不能为空"
        for i, r in enumerate(rows, 1)
        if not r.get("title", "").strip() or not r.get("body", "").strip()
    ]
    if errors:
        raise ContractError(errors)
    before = [{"title": c.title, "body": c.body} for c in contract.clauses]
    contract.clauses.clear()
    db.session.flush()
    for position, row in enumerate(rows):
        contract.clauses.append(
            ContractClause(
                position=position,
                title=row["title"].strip(),
                body=row["body"].strip(),
                template_id=row.get("template_id"),
            )
        )
    db.session.flush()
    record(
        "contract.clauses_set",
        contract,
        before={"clauses": before},
        after={"clauses": [{"title": c.title, "body": c.body} for c in contract.clauses]},
    )


def clause_templates():
    return db.session.scalars(
        sa.select(ClauseTemplate).order_by(ClauseTemplate.position, ClauseTemplate.id)
    ).all()


DEFAULT_CLAUSES = [
    (
        "服务质量违约",
        "乙方客服人员未达到本合同约定的 KPI 考核标准的，按本合同 KPI 条款约定扣减当期服务费；"
        "同一指标连续三个月未达标的，甲方有权书面通知乙方限期整改。",
    ),
    (
        "信息安全与保密",
        "乙方及其客服人员应对甲方店铺账号、客户信息及经营数据严格保密。因乙方原因造成数据泄露的，"
        "扣减当月服务费的 20%，并赔偿由此给甲方造成的直接损失。",
    ),
    (
        "付款违约",
        "甲方未按约定日期支付服务费的，自宽限期届满次日起按未付金额每日万分之五支付滞纳金；"
        "逾期超过 15 日的，乙方有权暂停服务。",
    ),
    (
        "定金条款",
        "定金自合同签订后支付。合同正常履行完毕的，定金按约定退还或抵扣最后一期服务费；"
        "甲方单方违约解除合同的，定金不予退还；乙方单方违约解除合同的，应双倍返还定金。",
    ),
    ("提前解除", "任何一方提前解除合同，应提前 30 日书面通知对方，并结清已发生的服务费用。"),
]


def ensure_default_clauses() -> int:
    """Fill an empty clause library with the shipped defaults. Returns how many were added."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(ClauseTemplate)):
        return 0
    for position, (title, body) in enumerate(DEFAULT_CLAUSES):
        db.session.add(ClauseTemplate(title=title, body=body, position=position))
    db.session.flush()
    return len(DEFAULT_CLAUSES)


# --- clause library and vendor profile (admin) --------------------------------------------------

CLAUSE_FIELDS = ("title", "body", "position", "is_active")


def _check_clause(title: str, body: str) -> None:
    errors = []
    if not (title or "").strip():
        errors.append("请填写条款标题。")
    if not (body or "").strip():
        errors.append("请填写条款内容。")
    if errors:
        raise ContractError(errors)


def create_clause_template(title: str, body: str, position: int = 0, by=None) -> ClauseTemplate:
    """Add a breach clause to the library."""
    _check_clause(title, body)
    template = ClauseTemplate(title=title.strip(), body=body.strip(), position=position, is_active=True)
    db.session.add(template)
    db.session.flush()
    record(
        "clause_template.created", template, summary=template.title, after=snapshot(template, CLAUSE_FIELDS)
    )
    return template


def update_clause_template(template: ClauseTemplate, title: str, body: str, position: int, by=None) -> None:
    """Change a library clause. Contracts keep the text they copied."""
    _check_clause(title, body)
    before = snapshot(template, CLAUSE_FIELDS)
    template.title, template.body, template.position = title.strip(), body.strip(), position
    record(
        "clause_template.updated",
        template,
        summary=template.title,
        before=before,
        after=snapshot(template, CLAUSE_FIELDS),
    )


def set_clause_template_active(template: ClauseTemplate, active: bool, by=None) -> None:
    """Deactivate (hide from new contracts) or reactivate a library clause."""
    if template.is_active == active:
        return
    template.is_active = active
    record(
        "clause_template.activated" if active else "clause_template.deactivated",
        template,
        summary=template.title,
        before={"is_active": not active},
        after={"is_active": active},
    )
