"""``flask usage import FILE``: the CSV import from the command line (same validation as the upload)."""

from pathlib import Path

import click
from flask.cli import AppGroup

from ops.extensions import db
from ops.usage.services import UsageImportError, import_usage_file

usage_cli = AppGroup("usage", help="用量数据：从 CSV 文件导入。")


@usage_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--source", type=click.Choice(["cli", "csv"]), default="cli", show_default=True, help="导入记录中的来源。"
)
def import_command(file: Path, source: str):
    """Validate FILE whole and import it; any bad row imports nothing and exits with status 1."""
    try:
        result = import_usage_file(file, file.name, source)  # streamed from the file, never read whole
    except UsageImportError as exc:
        db.session.rollback()
        for error in exc.errors:
            where = f"第 {error.row} 行" if error.row else "文件"
            column = f"［{error.column}］" if error.column else ""
            click.echo(f"{where}{column}：{error.message}", err=True)
        if exc.total > len(exc.errors):
            click.echo(f"（只列出前 {len(exc.errors)} 处）", err=True)
        click.echo(f"共 {exc.total} 处错误，未导入任何数据。", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(
        f"导入完成：共 {result.rows} 行，新增 {result.inserted}，更新 {result.updated}，未变 {result.unchanged}。"
    )
    if result.dated_entries:
        click.echo(f"按日附加费登记 {result.dated_entries} 条。")
