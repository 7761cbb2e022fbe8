"""数电票 (全面数字化的电子发票) rules: how an issued invoice's lines become fapiao lines, and the
vocabulary of fapiao types, statuses and 红字确认单 reasons.

Pure: no Flask, no database. Money in integer fen, rates in basis points. The invoice's own tax
(``tax_fen``, rounded once by the billing engine) is split over the fapiao lines by the largest
remainder rule, so the lines' 金额 and 税额 add up to the invoice's net and tax to the fen.

Mapping (docs/fapiao.md):
- every positive line (service kinds, late fee, positive adjustment) is one 正常行 (or 被折扣行);
- the negative lines (KPI deductions, negative adjustments and true-ups) are not lines of their own:
  a blue fapiao accepts a negative amount only as a 折扣行 directly after the line it reduces, with
  the same 项目名称, 税收分类编码 and 税率. Their total is spread over the positive lines in proportion
  to their amounts (largest remainder), one 折扣行 after each reduced line;
- the deposit offset (定金抵扣) is money already received, not a price reduction: it is no line; the
  fapiao is for the whole service (价税合计 = net + tax = total + |deposit offset|) and its 备注 says
  how much of it the deposit settled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from ops.errors import ServiceError
from ops.i18n import N_, _l
from ops.vocab import register

FAPIAO_TYPES = ("normal", "special")
FAPIAO_TYPE_LABELS = register(
    "fapiao_type", {"normal": N_("普通发票（普票）"), "special": N_("增值税专用发票（专票）")}
)
# As the e-invoicing platform's import template names the types.
FAPIAO_TYPE_EXPORT = {"normal": "数电票（普通发票）", "special": "数电票（增值税专用发票）"}

# 已开具: issued by the tax platform; 部分红冲: a red fapiao reversed part of it; 已红冲: reversed in
# full. A 数电票 cannot be voided (作废) once delivered; it is corrected by a red fapiao.
FAPIAO_STATUSES = ("issued", "partly_red", "red")
FAPIAO_STATUS_LABELS = register(
    "fapiao_status", {"issued": N_("已开具"), "partly_red": N_("部分红冲"), "red": N_("已红冲")}
)

# The reason a 红字确认单 records (the tax platform's codes).
RED_REASONS = ("01", "02", "03", "04")
RED_REASON_LABELS = register(
    "red_reason",
    {"01": N_("开票有误"), "02": N_("销货退回"), "03": N_("服务中止"), "04": N_("销售折让")},
)

# The invoice line kinds that may become a fapiao line (KPI deductions become 折扣行, the deposit
# offset is no line), with SAMPLE defaults: the vendor must replace them with what its tax office
# confirmed. 3040204000000000000 is 现代服务 › 信息技术服务 › 业务流程管理服务 (呼叫中心 and the like).
SAMPLE_TAX_CODE = "3040204000000000000"
ITEM_KINDS = (
    "seat",
    "base",
    "commission",
    "consult",
    "minimum",
    "extra",
    "true_up",
    "late_fee",
    "adjustment",
)
ITEM_KIND_LABELS = register(
    "fapiao_item_kind",
    {
        "seat": N_("席位服务费"),
        "base": N_("底薪"),
        "commission": N_("提成"),
        "consult": N_("按咨询量服务费"),
        "minimum": N_("保底服务费"),
        "extra": N_("附加服务"),
        "true_up": N_("多退少补"),
        "late_fee": N_("滞纳金"),
        "adjustment": N_("调整项"),
    },
)


@dataclass(frozen=True)
class ItemCode:
    """What a line kind is called on the fapiao: 项目名称, 税收分类编码 (19 digits), 单位."""

    item_name: str
    tax_code: str
    unit: str
    sample: bool = False  # a built-in example, not configured by the vendor


SAMPLE_ITEM_CODES: dict[str, ItemCode] = {
    "seat": ItemCode("客服外包服务费", SAMPLE_TAX_CODE, "月", True),
    "base": ItemCode("客服外包服务费", SAMPLE_TAX_CODE, "月", True),
    "commission": ItemCode("客服外包服务费（提成）", SAMPLE_TAX_CODE, "项", True),
    "consult": ItemCode("客服外包服务费（咨询量）", SAMPLE_TAX_CODE, "次", True),
    "minimum": ItemCode("客服外包服务费（保底）", SAMPLE_TAX_CODE, "项", True),
    "extra": ItemCode("客服外包附加服务费", SAMPLE_TAX_CODE, "项", True),
    "true_up": ItemCode("客服外包服务费（多退少补）", SAMPLE_TAX_CODE, "项", True),
    "late_fee": ItemCode("滞纳金", SAMPLE_TAX_CODE, "项", True),
    "adjustment": ItemCode("客服外包服务费（调整）", SAMPLE_TAX_CODE, "项", True),
}

TAX_CODE_RE = re.compile(r"^\d{19}$")
FAPIAO_NUMBER_RE = re.compile(r"^\d{20}$")
MAX_ITEM_NAME = 90


class FapiaoRuleError(ServiceError):
    """A value the rules refuse; the message (lazy Chinese) is for the user."""


def clean_fapiao_number(text: str | None) -> str:
    """A 数电票 number: exactly 20 digits (spaces ignored). Raises FapiaoRuleError otherwise."""
    number = re.sub(r"\s+", "", text or "")
    if not FAPIAO_NUMBER_RE.fullmatch(number):
        raise FapiaoRuleError(
            _l("发票号码必须是 20 位数字（数电票），收到“%(value)s”。", value=number or "—")
        )
    return number


def clean_tax_code(text: str | None) -> str:
    """A 税收分类编码: exactly 19 digits. Raises FapiaoRuleError otherwise."""
    code = (text or "").strip()
    if not TAX_CODE_RE.fullmatch(code):
        raise FapiaoRuleError(_l("税收分类编码必须是 19 位数字。"))
    return code


def status_code(text: str | None) -> str:
    """A fapiao status from its code or its Chinese label (已开具 / 部分红冲 / 已红冲)."""
    value = (text or "").strip()
    if value in FAPIAO_STATUSES:
        return value
    for code, label in FAPIAO_STATUS_LABELS.items():
        if value == label:
            return code
    raise FapiaoRuleError(
        _l("发票状态“%(value)s”无法识别，应为 已开具、部分红冲 或 已红冲。", value=value or "—")
    )


# --- the tax split ------------------------------------------------------------------------------


def split_largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` split over ``weights`` (signed ints, Σ weights ≠ 0) in proportion: each share is
    the floor of its exact share, and the units left go one each to the largest fractional parts
    (ties: the earlier one). The shares add up to ``total`` exactly; each is within 1 of its exact
    share total × w / Σ w. Deterministic: the same input gives the same split."""
    whole = sum(weights)
    if whole == 0:
        raise ValueError("weights must not sum to zero")
    shares: list[int] = []
    fractions: list[tuple[Fraction, int]] = []
    for i, w in enumerate(weights):
        # Exact integer arithmetic: the floor of total × w / whole and its fractional part.
        q, r = divmod(total * w, whole)
        shares.append(q)
        fractions.append((Fraction(r, whole), i))
    left = total - sum(shares)
    for _frac, i in sorted(fractions, key=lambda item: (-item[0], item[1]))[:left]:
        shares[i] += 1
    return shares


# --- the lines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceLine:
    """One line of the issued invoice: kind, quantity (decimal text), unit, unit price, amount (fen,
    as billed: tax included when the invoice's prices include tax)."""

    kind: str
    quantity: str
    unit: str
    unit_price_fen: int | None
    amount_fen: int


@dataclass(frozen=True)
class FapiaoLine:
    """One row of the fapiao: amounts before tax (金额) and the tax (税额), in fen."""

    nature: str  # normal (正常行) / discounted (被折扣行) / discount (折扣行)
    kind: str
    item_name: str
    tax_code: str
    unit: str
    quantity: str  # "" when the line has no quantity × price
    unit_price: str  # before tax, in yuan as text; "" with quantity
    amount_fen: int
    tax_rate_bp: int
    tax_fen: int
    sample_code: bool


LINE_NATURE_LABELS = {"normal": "正常行", "discounted": "被折扣行", "discount": "折扣行"}


def fapiao_lines(
    lines: Sequence[SourceLine],
    *,
    net_fen: int,
    tax_fen: int,
    tax_rate_bp: int,
    prices_include_tax: bool,
    codes: Mapping[str, ItemCode],
) -> tuple[FapiaoLine, ...]:
    """The fapiao lines of an invoice: Σ 金额 = ``net_fen`` and Σ 税额 = ``tax_fen`` exactly.

    ``lines`` are the invoice's lines (the deposit line is skipped); ``codes`` names each kind.
    Raises FapiaoRuleError when nothing positive is left to invoice (a fapiao is never negative: a
    correction is a red fapiao).
    """
    items = [line for line in lines if line.kind != "deposit" and line.amount_fen > 0]
    reductions = -sum(line.amount_fen for line in lines if line.kind != "deposit" and line.amount_fen < 0)
    gross = sum(line.amount_fen for line in items)
    if gross - reductions <= 0:
        raise FapiaoRuleError(_l("价税合计不大于 0，不能开具蓝字发票。"))
    missing = sorted({line.kind for line in items if line.kind not in codes})
    if missing:
        raise FapiaoRuleError(_l("以下明细类型没有开票项目：%(kinds)s。", kinds="、".join(missing)))
    discounts = split_largest_remainder(reductions, [line.amount_fen for line in items]) if reductions else []
    rows: list[tuple[str, SourceLine, int]] = []  # (nature, source, signed amount as billed)
    for i, line in enumerate(items):
        discount = discounts[i] if discounts else 0
        rows.append(("discounted" if discount else "normal", line, line.amount_fen))
        if discount:
            rows.append(("discount", line, -discount))
    taxable = gross - reductions
    expected_net = taxable - tax_fen if prices_include_tax else taxable
    if expected_net != net_fen:
        raise FapiaoRuleError(_l("账单明细与金额合计不一致，无法拆分税额。"))
    taxes = split_largest_remainder(tax_fen, [amount for _n, _l_, amount in rows])
    out: list[FapiaoLine] = []
    for (nature, line, amount), tax in zip(rows, taxes, strict=True):
        code = codes[line.kind]
        before_tax = amount - tax if prices_include_tax else amount
        quantity, unit_price = "", ""
        if nature != "discount":
            quantity, unit_price = _quantity_price(line, code.unit, before_tax)
        out.append(
            FapiaoLine(
                nature=nature,
                kind=line.kind,
                item_name=code.item_name,
                tax_code=code.tax_code,
                unit=code.unit if nature != "discount" else "",
                quantity=quantity,
                unit_price=unit_price,
                amount_fen=before_tax,
                tax_rate_bp=tax_rate_bp,
                tax_fen=tax,
                sample_code=code.sample,
            )
        )
    return tuple(out)


def _quantity_price(line: SourceLine, unit: str, before_tax_fen: int) -> tuple[str, str]:
    """数量 and 单价 (before tax, yuan, up to 8 decimals) when the line is quantity × unit price in the
    configured unit; otherwise none (the platform accepts a line with only its 金额)."""
    if line.unit_price_fen is None or line.unit != unit:
        return "", ""
    try:
        quantity = Decimal(line.quantity)
    except InvalidOperation:
        return "", ""
    if quantity <= 0 or quantity * line.unit_price_fen != line.amount_fen:
        return "", ""
    price = (Decimal(before_tax_fen) / 100 / quantity).quantize(Decimal("0.00000001"), ROUND_HALF_UP)
    return _plain(quantity), _plain(price)


def _plain(value: Decimal) -> str:
    """A decimal as plain text without trailing zeros: 20, 5660.37735849, 0.5."""
    return format(value.normalize(), "f")


def rate_text(tax_rate_bp: int) -> str:
    """6 % → "6%", 1.5 % → "1.5%" (the 税率 column)."""
    return _plain(Decimal(tax_rate_bp) / 100) + "%"


def yuan_text(fen: int) -> str:
    """Fen as plain yuan text for the file: 123456 → "1234.56", -5 → "-0.05"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
