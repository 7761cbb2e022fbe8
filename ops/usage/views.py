"""Usage pages: the CSV upload, recent imports and a client's daily figures with a chart."""

import io
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ops.auth.models import ApiToken, User
from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import ADMIN, FINANCE, MANAGER
from ops.clients.models import Client
from ops.extensions import db
from ops.i18n import N_
from ops.periods import days_in_month, month_of, parse_month
from ops.timeutil import today
from ops.uploads import safe_display_name, upload_limit_bytes
from ops.urls import db_int
from ops.usage import summary, tasks
from ops.usage.fields import CSV_TEMPLATE_HEADERS, FIELDS
from ops.usage.forms import UsageUploadForm
from ops.usage.models import UsageDaily, UsageImport
from ops.usage.services import UsageImportError, import_usage_file
from ops.vocab import PLATFORMS
from ops.web import paginate, perform, send_document

bp = Blueprint("usage", __name__, url_prefix="/usage")
require_roles_for_blueprint(bp, ADMIN, MANAGER, FINANCE)

MAX_ERRORS_SHOWN = 1000
RECENT_CLIENTS = 12
SOURCE_LABELS = {"csv": N_("CSV 上传"), "api": "API", "cli": N_("命令行")}


@bp.route("/")
def index():
    client_id = request.args.get("client_id", type=db_int)
    if client_id:
        return redirect(url_for("usage.client", client_id=client_id))
    stmt = sa.select(UsageImport).order_by(UsageImport.created_at.desc(), UsageImport.id.desc())
    page = paginate(stmt)
    user_ids = {i.created_by_id for i in page.items if i.created_by_id}
    token_ids = {i.token_id for i in page.items if i.token_id}
    users = (
        dict(db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    tokens = (
        dict(
            db.session.execute(sa.select(ApiToken.id, ApiToken.name).where(ApiToken.id.in_(token_ids))).all()
        )
        if token_ids
        else {}
    )
    clients = db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name)).all()
    latest_day = sa.func.max(UsageDaily.day)
    with_usage = db.session.execute(
        sa.select(Client.id, Client.name, latest_day, sa.func.count(UsageDaily.id))
        .join(UsageDaily, UsageDaily.client_id == Client.id)
        .group_by(Client.id, Client.name)
        .order_by(latest_day.desc(), Client.name)
        .limit(RECENT_CLIENTS)
    ).all()
    clients_with_usage = db.session.scalar(sa.select(sa.func.count(sa.distinct(UsageDaily.client_id))))
    return render_template(
        "usage/index.html",
        page=page,
        users=users,
        tokens=tokens,
        clients=clients,
        with_usage=with_usage,
        clients_with_usage=clients_with_usage,
        source_labels=SOURCE_LABELS,
        month_code=month_of,
    )


def template_headers() -> tuple[str, ...]:
    """The CSV columns in the user's language: Chinese labels, or the English field names (both import)."""
    return CSV_TEMPLATE_HEADERS if str(get_locale()) == "zh" else tuple(FIELDS)


@bp.route("/import", methods=["GET", "POST"])
def import_form():
    form = UsageUploadForm()

    def page(errors=(), error_count=0):
        return render_template(
            "usage/import.html",
            form=form,
            errors=list(errors)[:MAX_ERRORS_SHOWN],
            error_count=error_count,
            headers=template_headers(),
            platforms=PLATFORMS,
        )

    if not form.validate_on_submit():
        return page()
    upload = form.file.data
    filename = safe_display_name(upload.filename)
    stream = upload.stream  # the spooled upload: streamed, never read whole into memory
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if not filename.lower().endswith(".csv"):
        form.file.errors.append(_("请上传 .csv 文件（在 Excel 中“另存为”CSV）。"))
        return page()
    if size > upload_limit_bytes():
        form.file.errors.append(
            _("文件太大，上限为 %(mb)s MB，请分批导入。", mb=f"{upload_limit_bytes() / 1048576:g}")
        )
        return page()

    if tasks.count_rows(stream) > current_app.config["USAGE_IMPORT_JOB_ROWS"]:
        # A large file is imported by the queue (same rule: a bad row anywhere imports nothing).
        return perform(
            lambda: tasks.start_usage_import(stream, filename, by=current_user),
            success=_("文件较大，正在后台校验并导入。"),
            back=url_for("usage.import_form"),
            done=lambda job: url_for("jobs.detail", job_id=job.id),
        )

    def refused(exc):
        if not isinstance(exc, UsageImportError):
            flash(str(exc), exc.category)
            return page()
        flash(_("文件中有 %(n)s 处错误，未导入任何数据。请修改后重新上传。", n=exc.total), "danger")
        return page(exc.errors, exc.total)

    def done(result):
        if len(result.client_ids) != 1:
            return url_for("usage.index")
        last_day = db.session.scalar(
            sa.select(sa.func.max(UsageDaily.day)).where(UsageDaily.client_id == result.client_ids[0])
        )
        return url_for(
            "usage.client", client_id=result.client_ids[0], month=month_of(last_day) if last_day else None
        )

    return perform(
        lambda: import_usage_file(stream, filename, "csv", by=current_user),
        success=lambda result: (
            _(
                "导入完成：新增 %(i)s 行，更新 %(u)s 行，未变 %(c)s 行。",
                i=result.inserted,
                u=result.updated,
                c=result.unchanged,
            )
            + (_("按日附加费登记 %(n)s 条。", n=result.dated_entries) if result.dated_entries else "")
        ),
        back=url_for("usage.import_form"),
        done=done,
        refused=refused,
    )


@bp.route("/template.csv")
def template():
    return send_document(
        summary.template_csv(template_headers()), "usage-template.csv", "text/csv; charset=utf-8"
    )


@bp.route("/client/<int:client_id>")
def client(client_id: int):
    client = db.get_or_404(Client, client_id)
    month = parse_month(request.args.get("month"))
    if month is None:
        latest = db.session.scalar(
            sa.select(sa.func.max(UsageDaily.day)).where(UsageDaily.client_id == client.id)
        )
        base = latest or today()
        month = (base.year, base.month)
    first = date(month[0], month[1], 1)
    last = date(month[0], month[1], days_in_month(*month))
    records = db.session.scalars(
        sa.select(UsageDaily)
        .where(UsageDaily.client_id == client.id, UsageDaily.day.between(first, last))
        .order_by(UsageDaily.day, UsageDaily.platform)
    ).all()
    by_platform = {}
    for r in records:
        by_platform.setdefault(r.platform, []).append(r)
    platform_totals = [(p, summary.summarize(items)) for p, items in sorted(by_platform.items())]
    chart_end = min(last, max(today(), max((r.day for r in records), default=first)))
    chart = summary.daily_series(records, first, chart_end)
    chart.update(consults_label=_("咨询量"), valid_label=_("有效咨询量"))
    return render_template(
        "usage/client.html",
        client=client,
        records=records,
        summary=summary.summarize(records),
        platform_totals=platform_totals,
        chart=chart,
        month=month_of(first),
        prev_month=month_of(first - timedelta(days=1)),
        next_month=month_of(last + timedelta(days=1)) if last < today() else None,
        platforms=PLATFORMS,
        seconds=summary.format_seconds,
        client_url=url_for("clients.detail", client_id=client.id)
        if "clients.detail" in current_app.view_functions
        else None,
    )
