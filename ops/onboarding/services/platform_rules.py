"""Platform rules: each platform's service deadlines and consequences, kept by staff as data."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from ops.audit.services import record, snapshot
from ops.extensions import db
from ops.onboarding.models import PlatformRule
from ops.onboarding.services.common import RULE_EDITORS, OnboardingError, _check_role

SEED_SOURCE = "种子资料：拼多多售后服务客服外包流程"
ALL_PLATFORMS = "all"
# (platform, event, deadline, consequence) — docs/domain.md, "Platform rules".
SEED_PLATFORM_RULES = (
    ("pdd", "买家申请仅退款或退货退款", "48 小时内处理", "逾期未处理，系统自动同意退款"),
    ("pdd", "商家拒绝退款申请后", "买家 7 天内可再次操作", "买家可修改申请或申请平台介入"),
    ("pdd", "买家申请退款的时限", "确认收货后 15 天内", ""),
    ("pdd", "买家寄回退货", "7 天内寄出", ""),
    ("pdd", "商家处理买家退回的商品", "收到退货后 7 天内", ""),
    ("pdd", "店铺售后考核（近 30 天）", "滚动 30 天", "考核纠纷退款、平台介入率、品质退款率"),
    ("jd", "16:00 前发送的服务邮件", "当日 18:00 前回复", ""),
    ("jd", "16:00 后发送的服务邮件", "次日 18:00 前回复", ""),
    ("jd", "投诉工单", "3 小时内给出明确答复", ""),
    ("jd", "七天无理由退货", "签收后 7 天内", ""),
    ("kuaishou", "客服代买家发起售后申请", "买家 24 小时内确认", ""),
    (ALL_PLATFORMS, "售前首次响应（黄金10秒）", "约 10 秒内首次回复", "响应慢会直接流失询单"),
)


RULE_FIELDS = ("platform", "event", "deadline", "consequence", "source", "position")


def ensure_platform_rules() -> int:
    """Fill the platform rules from the seed article when the table is empty; returns rows added."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(PlatformRule)):
        return 0
    for position, (platform, event, deadline, consequence) in enumerate(SEED_PLATFORM_RULES, start=1):
        db.session.add(
            PlatformRule(
                platform=platform,
                event=event,
                deadline=deadline,
                consequence=consequence,
                source=SEED_SOURCE,
                from_seed=True,
                position=position,
            )
        )
    record("platform_rule.seeded", object_type="platform_rules", summary=SEED_SOURCE, actor=None)
    return len(SEED_PLATFORM_RULES)


def _clean_rule(data: dict) -> dict:
    values = {
        "platform": (data.get("platform") or "").strip(),
        "event": (data.get("event") or "").strip(),
        "deadline": (data.get("deadline") or "").strip(),
        "consequence": (data.get("consequence") or "").strip(),
        "source": (data.get("source") or "").strip(),
        "position": int(data.get("position") or 0),
    }
    if not values["platform"]:
        raise OnboardingError(_("请选择平台。"), "platform")
    if not values["event"]:
        raise OnboardingError(_("请填写事项。"), "event")
    if not values["deadline"]:
        raise OnboardingError(_("请填写时限。"), "deadline")
    return values


def create_platform_rule(data: dict, *, by) -> PlatformRule:
    _check_role(by, RULE_EDITORS, _("您没有维护平台规则的权限。"))
    rule = PlatformRule(from_seed=False, **_clean_rule(data))
    db.session.add(rule)
    record("platform_rule.created", rule, summary=rule.event, after=snapshot(rule, RULE_FIELDS), actor=by)
    return rule


def update_platform_rule(rule: PlatformRule, data: dict, *, by) -> None:
    """Edit a rule; a seed rule whose wording changes is no longer marked as seed text."""
    _check_role(by, RULE_EDITORS, _("您没有维护平台规则的权限。"))
    values = _clean_rule(data)
    before = snapshot(rule, RULE_FIELDS)
    changed = [k for k in RULE_FIELDS if before[k] != values[k]]
    for key, value in values.items():
        setattr(rule, key, value)
    if rule.from_seed and {"platform", "event", "deadline", "consequence"} & set(changed):
        rule.from_seed = False
        changed.append("from_seed")
    if changed:
        record(
            "platform_rule.updated",
            rule,
            summary=rule.event,
            before={k: before.get(k, True) for k in changed},
            after={k: getattr(rule, k) for k in changed},
            actor=by,
        )


def delete_platform_rule(rule: PlatformRule, *, by) -> None:
    _check_role(by, RULE_EDITORS, _("您没有维护平台规则的权限。"))
    record("platform_rule.deleted", rule, summary=rule.event, before=snapshot(rule, RULE_FIELDS), actor=by)
    db.session.delete(rule)
