"""Dated extras of a contract (节假日补贴, 大促临时客服, 加班): record, delete, and hand to the engine.

An entry is billed once, for its days in the period served (ops.billing.engine.extras): in arrears
the invoice period, in advance the period the invoice trues up. An entry whose days fall in a period
already on an issued (or paid) invoice can be neither added nor deleted there: the statement the
client holds never changes (correct it with an adjustment or a credit note instead).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from ops import i18n
from ops.audit.services import record
from ops.billing import engine
from ops.billing.models import DATED_EXTRA_SOURCES, ContractExtraEntry, Invoice
from ops.billing.services.base import BILLABLE_STATES, BillingServiceError
from ops.contracts.models import Contract
from ops.contracts.services import lock_contract
from ops.contracts.terms import _discounted
from ops.extensions import db
from ops.periods import previous_period
from ops.ratecards.rules import EXTRA_LABELS

# Kind code → (label, unit); the first two are the rate card's catalogue codes (ops.ratecards.rules).
DATED_EXTRA_KINDS = {
    "holiday_person_day": (EXTRA_LABELS["holiday_person_day"][0], "person_day"),
    "temp_person_shift_day": (EXTRA_LABELS["temp_person_shift_day"][0], "person_shift_day"),
    "overtime_person_day": ("加班补贴", "person_day"),
}
MAX_DAYS = 366
MAX_HEADCOUNT = 10_000
MAX_SHIFTS = 3


class DatedExtraError(BillingServiceError):
    """A refused dated extra; ``field`` names the form field at fault."""


def default_unit_price(contract: Contract, code: str) -> int | None:
    """The agreed price of ``code`` in the contract's frozen terms: an agreed extra with that code,
    else the rate card's catalogue price less the quote's discount; None when the terms have none."""
    terms = contract.terms or {}
    for extra in terms.get("extras", []):
        if extra.get("code") == code:
            return int(extra["unit_price_fen"])
    price = ((terms.get("extras_catalogue") or {}).get(code) or {}).get("unit_price_fen")
    if not price:
        return None
    return _discounted(int(price), int(terms.get("discount_bp", 0)))


def entries_of(contract: Contract) -> list[ContractExtraEntry]:
    return list(
        db.session.scalars(
            sa.select(ContractExtraEntry)
            .where(ContractExtraEntry.contract_id == contract.id)
            .order_by(ContractExtraEntry.start_on, ContractExtraEntry.id)
        )
    )


def dated_extra_inputs(contract: Contract) -> tuple[engine.DatedExtraInput, ...]:
    return tuple(
        engine.DatedExtraInput(
            e.label, e.start_on, e.end_on, e.headcount, e.unit, e.unit_price_fen, e.shifts_per_day
        )
        for e in entries_of(contract)
    )


def served_window(contract: Contract, invoice: Invoice) -> tuple[date, date]:
    """The days whose dated extras ``invoice`` bills: its period in arrears, the period it trues up in advance."""
    if contract.billing_timing == "in_advance":
        previous = previous_period(engine.parse_period(invoice.period))
        return previous.start, previous.end
    return invoice.period_start, invoice.period_end


def issued_invoice_over(contract: Contract, start_on: date, end_on: date) -> Invoice | None:
    """An issued or paid invoice of the contract that bills (some of) the days [start_on, end_on]."""
    invoices = db.session.scalars(
        sa.select(Invoice).where(Invoice.contract_id == contract.id, Invoice.status.not_in(("draft", "void")))
    )
    for invoice in invoices:
        first, last = served_window(contract, invoice)
        if first <= end_on and start_on <= last:
            return invoice
    return None


def _check(contract: Contract, code: str, start_on, end_on, headcount, shifts, price, source) -> None:
    if contract.status not in BILLABLE_STATES:
        raise DatedExtraError("只有已生效（或已到期、已终止）的合同可以登记按日附加费。")
    if code not in DATED_EXTRA_KINDS:
        raise DatedExtraError("请选择附加费类型。", field="code")
    if source not in DATED_EXTRA_SOURCES:
        raise DatedExtraError(f"来源无效：{source!r}")
    if start_on is None or end_on is None:
        raise DatedExtraError("请填写开始和结束日期。", field="start_on")
    if end_on < start_on:
        raise DatedExtraError("结束日期不能早于开始日期。", field="end_on")
    if (end_on - start_on).days + 1 > MAX_DAYS:
        raise DatedExtraError(f"一条记录最多 {MAX_DAYS} 天，请分开登记。", field="end_on")
    last = contract.end_on
    if contract.terminated_on is not None:
        last = min(last, contract.terminated_on - timedelta(days=1))
    if start_on < contract.start_on or end_on > last:
        raise DatedExtraError(
            f"日期须在合同服务期内（{contract.start_on.isoformat()} 至 {last.isoformat()}）。",
            field="start_on",
        )
    if headcount is None or not 0 < headcount <= MAX_HEADCOUNT:
        raise DatedExtraError(f"人数须在 1 到 {MAX_HEADCOUNT:,} 之间。", field="headcount")
    if shifts is None or not 0 < shifts <= MAX_SHIFTS:
        raise DatedExtraError(f"每日班次须在 1 到 {MAX_SHIFTS} 之间。", field="shifts_per_day")
    if price is None or price < 0:
        raise DatedExtraError("请填写单价（不能为负数）。", field="unit_price")


def add_entry(
    contract: Contract,
    *,
    code: str,
    start_on: date,
    end_on: date,
    headcount: int,
    shifts_per_day: int = 1,
    unit_price_fen: int | None = None,
    label: str = "",
    note: str = "",
    source: str = "manual",
    by=None,
) -> ContractExtraEntry:
    """Record dated work for a contract (locked first); the price defaults to the agreed one."""
    contract = lock_contract(contract.id)
    kind_label, unit = DATED_EXTRA_KINDS.get(code, ("", "person_day"))
    if unit == "person_day" and code in DATED_EXTRA_KINDS:
        if shifts_per_day not in (None, 1):
            raise DatedExtraError("按人·天计费的附加费每日班次为 1。", field="shifts_per_day")
        shifts_per_day = 1
    if unit_price_fen is None and code in DATED_EXTRA_KINDS:
        unit_price_fen = default_unit_price(contract, code)
        if unit_price_fen is None:
            raise DatedExtraError("合同条款中没有该附加费的约定单价，请填写单价。", field="unit_price")
    _check(contract, code, start_on, end_on, headcount, shifts_per_day, unit_price_fen, source)
    issued = issued_invoice_over(contract, start_on, end_on)
    if issued is not None:
        raise DatedExtraError(
            f"这些日期已在已开具的账单 {issued.number}（{issued.period}）中结算，不能再登记；"
            "请在下期账单中添加调整项。",
            field="start_on",
        )
    entry = ContractExtraEntry(
        contract_id=contract.id,
        code=code,
        label=(label or "").strip()[:100] or kind_label,
        start_on=start_on,
        end_on=end_on,
        headcount=headcount,
        shifts_per_day=shifts_per_day,
        unit=unit,
        unit_price_fen=unit_price_fen,
        note=(note or "").strip()[:300],
        source=source,
        created_by_id=getattr(by, "id", None),
    )
    db.session.add(entry)
    db.session.flush()
    record(
        "contract.extra_entry_added",
        contract,
        summary=i18n._l(
            "%(label)s %(start)s～%(end)s %(n)s 人",
            label=entry.label,
            start=start_on.isoformat(),
            end=end_on.isoformat(),
            n=headcount,
        ),
        after={
            "entry_id": entry.id,
            "code": code,
            "start_on": start_on,
            "end_on": end_on,
            "headcount": headcount,
            "shifts_per_day": shifts_per_day,
            "unit_price_fen": unit_price_fen,
            "source": source,
        },
        actor=by,
    )
    return entry


def delete_entry(contract: Contract, entry_id: int, by=None) -> None:
    """Delete an entry not yet billed on an issued invoice (the contract is locked first)."""
    contract = lock_contract(contract.id)
    entry = db.session.scalar(
        sa.select(ContractExtraEntry).where(
            ContractExtraEntry.id == entry_id, ContractExtraEntry.contract_id == contract.id
        )
    )
    if entry is None:
        raise DatedExtraError("该按日附加费记录不存在或已删除。")
    issued = issued_invoice_over(contract, entry.start_on, entry.end_on)
    if issued is not None:
        raise DatedExtraError(f"该记录已在已开具的账单 {issued.number}（{issued.period}）中结算，不能删除。")
    before = {
        "entry_id": entry.id,
        "label": entry.label,
        "start_on": entry.start_on,
        "end_on": entry.end_on,
        "headcount": entry.headcount,
        "shifts_per_day": entry.shifts_per_day,
        "unit_price_fen": entry.unit_price_fen,
    }
    db.session.delete(entry)
    db.session.flush()
    record(
        "contract.extra_entry_deleted",
        contract,
        summary=f"{before['label']} {entry.start_on.isoformat()}～{entry.end_on.isoformat()}",
        before=before,
        actor=by,
    )


# --- dated extras arriving with usage (ops.usage.services) -----------------------------------

IMPORT_SOURCES = ("usage_import", "api")  # entries an import replaces; manual entries are never touched


def billable_contract_windows(client_id: int) -> list[tuple[int, date, date]]:
    """(contract id, first day, last day served) of the client's billable contracts."""
    windows = []
    for contract in db.session.scalars(
        sa.select(Contract).where(Contract.client_id == client_id, Contract.status.in_(BILLABLE_STATES))
    ):
        last = contract.end_on
        if contract.terminated_on is not None:
            last = min(last, contract.terminated_on - timedelta(days=1))
        windows.append((contract.id, contract.start_on, last))
    return windows


def replace_imported_day(
    contract_id: int, *, code: str, day: date, headcount: int, shifts_per_day: int, source: str, by=None
) -> str:
    """Set the one-day ``code`` entry an import gave for ``day``: replace the imported entry of that
    day (never a manual one), delete it when ``headcount`` is 0, leave it when nothing changed.

    Answers "added", "replaced", "removed" or "unchanged"; raises DatedExtraError as ``add_entry``
    and ``delete_entry`` do (an issued invoice over the day, no agreed price, ...).
    """
    if source not in IMPORT_SOURCES:
        raise DatedExtraError(f"来源无效：{source!r}")
    contract = lock_contract(contract_id)
    current = list(
        db.session.scalars(
            sa.select(ContractExtraEntry).where(
                ContractExtraEntry.contract_id == contract.id,
                ContractExtraEntry.code == code,
                ContractExtraEntry.start_on == day,
                ContractExtraEntry.end_on == day,
                ContractExtraEntry.source.in_(IMPORT_SOURCES),
            )
        )
    )
    if (
        len(current) == 1
        and headcount
        and (current[0].headcount, current[0].shifts_per_day) == (headcount, shifts_per_day)
    ):
        return "unchanged"
    if not current and not headcount:
        return "unchanged"
    for entry in current:
        delete_entry(contract, entry.id, by=by)
    if not headcount:
        return "removed"
    add_entry(
        contract,
        code=code,
        start_on=day,
        end_on=day,
        headcount=headcount,
        shifts_per_day=shifts_per_day,
        note="用量导入",
        source=source,
        by=by,
    )
    return "replaced" if current else "added"
