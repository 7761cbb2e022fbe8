"""``flask usage import FILE``."""

import sqlalchemy as sa

from ops.usage.models import UsageImport
from tests.factories import make_client
from tests.usage.usage_helpers import usage_count, zh_csv


def test_cli_imports_and_prints_counts(runner, db, tmp_path):
    make_client(db, name="晨光")
    path = tmp_path / "oct.csv"
    path.write_bytes(zh_csv("晨光", [("2026/10/01", "天猫", 5, 4, "1.00", "", "", "")]).encode("gb18030"))
    result = runner.invoke(args=["usage", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "新增 1，更新 0，未变 0" in result.output
    assert usage_count(db) == 1
    assert db.session.scalar(sa.select(UsageImport.source)) == "cli"
    again = runner.invoke(args=["usage", "import", str(path), "--source", "csv"])
    assert again.exit_code == 0 and "新增 0，更新 0，未变 1" in again.output


def test_cli_prints_every_bad_row_and_exits_non_zero(runner, db, tmp_path):
    make_client(db, name="晨光")
    path = tmp_path / "bad.csv"
    path.write_text(
        zh_csv(
            "晨光",
            [
                ("2026/10/01", "天猫", 5, 4, "", "", "", ""),
                ("2026/10/02", "微博", 5, 4, "", "", "", ""),
                ("2026/10/03", "天猫", 5, 6, "", "", "", ""),
            ],
        ),
        encoding="utf-8",
    )
    result = runner.invoke(args=["usage", "import", str(path)])
    assert result.exit_code == 1
    assert "第 3 行［平台］：未知平台" in result.output
    assert "第 4 行［有效咨询量］：有效咨询量不能大于咨询量" in result.output
    assert "共 2 处错误，未导入任何数据。" in result.output
    assert usage_count(db) == 0
