"""Imports: an overlapping export adds only what is new, whatever the layout (serials or hashes);
nothing of a refused file is written."""

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.bank import services
from ops.bank.engine.statement import StatementError
from ops.bank.models import BankStatement, BankTransaction
from tests.bank.helpers import make_formats

ICBC_HEADER = "中国工商银行 账户历史明细\n\n日期,对方单位,对方账号,金额,用途,备注\n"
A = "20261102,甲公司,01,100.00,货款,\n"
B = "20261103,乙公司,02,200.00,货款,\n"
C = "20261104,丙公司,03,-50.00,房租,\n"
D = "20261105,丁公司,04,400.00,货款,\n"

CMB_HEADER = "\ufeff招商银行交易流水\n交易日期,收入金额,支出金额,对方户名,对方账号,摘要,流水号\n"


def keys(db) -> list[str]:
    return sorted(db.session.scalars(sa.select(BankTransaction.dedupe_key)))


def imported(db, bank_format, text: str, encoding: str = "utf-8"):
    result = services.import_statement(bank_format, "x.csv", text.encode(encoding))
    db.session.commit()
    return result


def test_overlapping_exports_without_serials(db):
    _cmb, icbc = make_formats(db)
    first = imported(db, icbc, ICBC_HEADER + A + B + C, "gb18030")
    assert (first.new, first.outgoing) == (2, 1)
    before = keys(db)
    # B again, then D twice (two identical transfers on one day are two transactions).
    second = imported(db, icbc, ICBC_HEADER + B + C + D + D)
    assert (second.incoming, second.new, second.duplicates) == (3, 2, 1)
    after = keys(db)
    assert set(before) < set(after) and len(after) == 4
    third = imported(db, icbc, ICBC_HEADER + A + B + D + D)
    assert third.statement is None and keys(db) == after


def test_overlapping_exports_with_serials(db):
    cmb, _icbc = make_formats(db)
    rows = [f"2026-11-0{i},{i}00.00,,公司{i},0{i},货款,SN{i}\n" for i in range(1, 5)]
    imported(db, cmb, CMB_HEADER + "".join(rows[:3]))
    # The same transfers with a different 摘要 in a later export are still the same (the serial wins).
    second = imported(db, cmb, CMB_HEADER + rows[1].replace("货款", "货款（补）") + rows[3])
    assert (second.new, second.duplicates) == (1, 1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankTransaction)) == 4


def test_a_refused_file_writes_nothing(db):
    cmb, icbc = make_formats(db)

    def counts():
        return [
            db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (BankStatement, BankTransaction, AuditEntry)
        ]

    before = counts()
    with pytest.raises(StatementError, match="第 4 行"):
        services.import_statement(icbc, "bad.csv", (ICBC_HEADER + "20261301,甲,01,1.00,x,\n").encode())
    db.session.rollback()
    assert counts() == before and before[:2] == [0, 0]
