"""The usage columns, limits and messages, and the shapes a validated row takes.

Pure: no Flask, no database. Units: money in fen, response times in milliseconds, rates in basis
points (92.5 % = 9250).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from ops.vocab import PLATFORMS

PLATFORM_ALIASES = {
    **{code: code for code in PLATFORMS},
    **{label: code for code, label in PLATFORMS.items()},
    "pinduoduo": "pdd",
    "抖店": "douyin",
    "京东商城": "jd",
    "天猫商城": "tmall",
}

# Canonical field -> (Chinese column label, accepted header spellings after normalisation).
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "client_id": ("客户编号", ("客户编号", "客户id", "client_id", "clientid")),
    "client": ("客户名称", ("客户", "客户名称", "客户名", "client", "client_name")),
    "date": ("日期", ("日期", "date", "day")),
    "platform": ("平台", ("平台", "platform")),
    "consults": ("咨询量", ("咨询量", "咨询数", "consults")),
    "valid_consults": ("有效咨询量", ("有效咨询量", "有效咨询数", "有效咨询", "valid_consults")),
    "served_gmv": ("服务销售额(元)", ("服务销售额", "客服销售额", "served_gmv")),
    "refunds": ("退款金额(元)", ("退款金额", "退款", "refunds")),
    "first_response_seconds": ("首次响应时间(秒)", ("首次响应时间", "首响时间", "first_response_seconds")),
    "avg_response_seconds": ("平均响应时间(秒)", ("平均响应时间", "平响时间", "avg_response_seconds")),
    "reply_3min_rate": ("3分钟回复率", ("3分钟回复率", "三分钟回复率", "reply_3min_rate")),
    "inquiry_conversion": ("询单转化率", ("询单转化率", "inquiry_conversion", "inquiry_conversion_rate")),
    "satisfaction": ("满意度", ("满意度", "客户满意度", "satisfaction", "satisfaction_rate")),
    "dispute_refund_rate": ("纠纷退款率", ("纠纷退款率", "dispute_refund_rate")),
    # Optional: work done that day billed as a dated extra on the client's contract (one-day entry).
    "holiday_headcount": ("节假日补贴人数", ("节假日补贴人数", "节假日人数", "holiday_headcount")),
    "promo_headcount": ("大促临时客服人数", ("大促临时客服人数", "大促人数", "promo_headcount")),
    "promo_shifts": ("大促临时客服班次", ("大促临时客服班次", "大促班次", "promo_shifts")),
}
# Columns some exports carry that mean nothing to billing.
IGNORED_HEADERS = {"备注", "说明", "note", "notes", "remark", "remarks", "店铺", "店铺名称", "shop"}
HEADER_TO_FIELD = {alias: field for field, (_label, aliases) in FIELDS.items() for alias in aliases}
CSV_TEMPLATE_HEADERS = tuple(label for label, _aliases in FIELDS.values())

SECONDS_FIELDS = {"first_response_seconds": "first_response_ms", "avg_response_seconds": "avg_response_ms"}
RATE_FIELDS = {
    "reply_3min_rate": "reply_3min_bp",
    "inquiry_conversion": "inquiry_conversion_bp",
    "satisfaction": "satisfaction_bp",
    "dispute_refund_rate": "dispute_refund_bp",
}
# JSON rows carry money as integer fen under these names.
FEN_FIELDS = {"served_gmv_fen": "served_gmv", "refunds_fen": "refunds"}

# Dated figures: field -> the contract's dated extra code (ops.billing.services.extras.DATED_EXTRA_KINDS).
DATED_FIELDS = {"holiday_headcount": "holiday_person_day", "promo_headcount": "temp_person_shift_day"}
MAX_HEADCOUNT = 10_000  # as a dated extra entry allows
MAX_SHIFTS = 3

MAX_COUNT = 2_147_483_647  # the columns are 32-bit integers
MAX_FEN = 10**15  # ten trillion yuan: anything above is a typo
MAX_SECONDS = Decimal(86_400)
EARLIEST_DAY = date(2000, 1, 1)

MSG_REQUIRED = "必填，不能为空"
MSG_INTEGER = "必须是不小于 0 的整数"
MSG_TOO_LARGE = "数值过大"
MSG_DATE = "日期格式不正确，请用 2026-10-01 或 2026/10/01"
MSG_FUTURE = "日期不能晚于今天"
MSG_TOO_EARLY = "日期过早，请检查年份"
MSG_PLATFORM = (
    "未知平台，可用：淘宝、天猫、京东、拼多多、快手、抖音（或 taobao、tmall、jd、pdd、kuaishou、douyin）"
)
MSG_VALID_GT = "有效咨询量不能大于咨询量"
MSG_CLIENT = "请填写客户编号或客户名称"
MSG_CLIENT_ID = "客户编号必须是正整数"
MSG_SECONDS = "请填写秒数，例如 12.5（0 到 86400 秒）"
MSG_RATE_RANGE = "比率必须在 0% 到 100% 之间"
MSG_FEN = "金额（分）必须是不小于 0 的整数"
MSG_HEADCOUNT = f"人数必须是 0 到 {MAX_HEADCOUNT:,} 之间的整数"
MSG_SHIFTS = f"每日班次必须是 1 到 {MAX_SHIFTS} 之间的整数"
MSG_SHIFTS_ALONE = "填写了大促临时客服班次，但没有填写大促临时客服人数"


MAX_DIGITS = 30  # an integer cell longer than this is "too large" before int() sees it


class HugeNumber:
    """A JSON integer too long to convert (the API's ``parse_int``): a row error "数值过大", never
    Python's int-from-string limit (4,300 digits) ending the request in a 500."""

    __slots__ = ("digits",)

    def __init__(self, digits: str):
        self.digits = digits

    @classmethod
    def parse_int(cls, text: str):
        """``json.loads(..., parse_int=HugeNumber.parse_int)``."""
        return cls(text) if len(text.lstrip("-")) > MAX_DIGITS else int(text)


class UsageError(NamedTuple):
    """One problem: ``row`` as the user counts it (CSV: header = 1; API: first row = 1)."""

    row: int
    column: str
    message: str


@dataclass(slots=True)
class UsageRow:
    """One validated day of figures. ``client_id`` or ``client_name`` (or both) names the client.

    Not frozen, though nothing changes a row once validated: a frozen dataclass sets each of its 18
    fields through ``object.__setattr__``, three times the cost, a quarter of a large file's parsing.
    """

    row: int
    client_id: int | None
    client_name: str | None
    day: date
    platform: str
    consults: int
    valid_consults: int
    served_gmv_fen: int = 0
    refunds_fen: int = 0
    first_response_ms: int | None = None
    avg_response_ms: int | None = None
    reply_3min_bp: int | None = None
    inquiry_conversion_bp: int | None = None
    satisfaction_bp: int | None = None
    dispute_refund_bp: int | None = None
    # Dated figures (None: not given, nothing changes; 0: no such work that day).
    holiday_headcount: int | None = None
    promo_headcount: int | None = None
    promo_shifts: int | None = None

    def dated(self) -> list[tuple[str, str, int, int]]:
        """(field, extra code, headcount, shifts per day) of each dated figure the row gives."""
        return [
            (field, code, headcount, (self.promo_shifts or 1) if field == "promo_headcount" else 1)
            for field, code in DATED_FIELDS.items()
            if (headcount := getattr(self, field)) is not None
        ]

    def values(self) -> dict:
        """The stored figures (everything but the client and the key)."""
        return {name: getattr(self, name) for name in VALUE_COLUMNS}


VALUE_COLUMNS = (
    "consults",
    "valid_consults",
    "served_gmv_fen",
    "refunds_fen",
    "first_response_ms",
    "avg_response_ms",
    "reply_3min_bp",
    "inquiry_conversion_bp",
    "satisfaction_bp",
    "dispute_refund_bp",
)

DATE_LABEL = FIELDS["date"][0]
CACHE_LIMIT = 100_000  # distinct cell texts remembered per import: bounded memory on any file


class DuplicateCheck:
    """Remembers each (client, day, platform) key with the row that first named it."""

    def __init__(self):
        self.first_row: dict = {}

    def check(self, key, row_number: int, column: str) -> UsageError | None:
        first = self.first_row.setdefault(key, row_number)
        if first == row_number:
            return None
        return UsageError(row_number, column, f"与第 {first} 行重复（同一客户、日期、平台只能有一行）")
