"""Go-live pages: the onboarding dashboard, agents, assignments with their checklists and credentials.

Sales may read the lists and pages; trainers, managers and admins change things.
"""

import io
import json
from datetime import date

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload, selectinload

from ops import hooks
from ops.auth.permissions import get_scoped_or_404, require_roles_for_blueprint, roles_required
from ops.auth.roles import ADMIN, MANAGER, SALES, TRAINER
from ops.clients.models import Client
from ops.contracts.models import Contract
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.onboarding import agent_csv, services
from ops.onboarding.checklist import ITEM_STATE_BADGES
from ops.onboarding.forms import (
    AgentForm,
    AgentImportForm,
    AssignmentForm,
    CancelAssignmentForm,
    CredentialForm,
    EndAssignmentForm,
    GoLiveForm,
    ItemBlockForm,
    ItemDoneForm,
    PlannedDateForm,
    UndoGoLiveForm,
)
from ops.onboarding.models import AGENT_STATES, Agent, Assignment, ChecklistItem
from ops.onboarding.services import NotAllowed
from ops.onboarding.states import ASSIGNMENT_STATES
from ops.timeutil import today
from ops.uploads import safe_display_name, upload_limit_bytes
from ops.urls import db_int
from ops.vocab import PLATFORM_CODES
from ops.web import label, paginate, perform, send_document

bp = Blueprint("onboarding", __name__, url_prefix="/onboarding")
require_roles_for_blueprint(bp, ADMIN, MANAGER, TRAINER, SALES)

DASHBOARD_ROLES = (ADMIN, MANAGER, TRAINER)
writers_only = roles_required(*services.WRITERS)


@bp.context_processor
def onboarding_badges():
    """Badge colours by state (labels come from the ``label`` global: agent_state, assignment_state,
    checklist_item_state, scope, shift, platform)."""
    return {
        "agent_status_badges": services.AGENT_STATUS_BADGES,
        "item_state_badges": ITEM_STATE_BADGES,
        "assignment_states": ASSIGNMENT_STATES,
        "platform_codes": PLATFORM_CODES,
    }


@bp.record_once
def _template_globals(state) -> None:
    """The contract page's seats table (``templates/contracts/_seats.html``) reads seats through this;
    the staff dashboard gets the onboarding panel."""
    state.app.jinja_env.globals["contract_seat_usage"] = services.seat_usage
    hooks.register(state.app, hooks.DASHBOARD_PANELS, _dashboard_panel)


def _dashboard_panel():
    """The staff dashboard's "上线工作" panel for trainers, managers and admins."""
    if not current_user.is_authenticated or current_user.role not in DASHBOARD_ROLES:
        return None
    return {
        "title": _l("上线工作"),
        "template": "onboarding/_panel.html",
        "counts": services.panel_counts(),
        "filters": services.PANEL_FILTERS,
    }


@bp.context_processor
def permissions():
    role = current_user.role if current_user.is_authenticated else None
    return {
        "can_write": role in services.WRITERS,
        "can_override": role in services.GATE_OVERRIDERS,
        "can_reveal": role in services.REVEALERS,
        "can_dashboard": role in DASHBOARD_ROLES,
    }


def _user():
    return current_user._get_current_object()


def _client_choices() -> list[tuple[int, str]]:
    return list(db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name)).all())


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


# --- dashboard -----------------------------------------------------------------------------


def _url(endpoint: str, filters: dict) -> str:
    args = {
        k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if v not in (None, "")
    }
    return url_for(endpoint, **args)


CLIENTS_PER_PAGE = 50
# The per-client overdue and checklist lists show their first rows (most overdue, least complete), then a
# line with how many more and the list of them all.
DASHBOARD_LIST_ROWS = 20
_ZERO_CELL = '<td class="num"><span class="text-muted">0</span></td>'


def _count_cells(counts: dict[str, int], url_prefix: str) -> Markup:
    """The cells of one row of the dashboard's per-client table, one per agent status: the count links
    to the agent list with that status (``url_prefix`` + the status code), a 0 is grey.

    Built here rather than cell by cell in the template: the table has a cell per client and status
    (2,500 at 500 clients), and the template's loop, test and link per cell were most of the page."""
    href = escape(url_prefix)
    return Markup(
        "".join(
            f'<td class="num"><a href="{href}{status}">{n}</a></td>'
            if (n := counts.get(status, 0))
            else _ZERO_CELL
            for status in AGENT_STATES
        )
    )


@bp.route("/")
@roles_required(*DASHBOARD_ROLES)
def dashboard():
    # The per-client table pages through the clients (CLIENTS_PER_PAGE a page, by name): at a large
    # vendor's size a table of every client was most of the page. The other figures cover everyone.
    client_page = paginate(services.clients_with_agents(), per_page=CLIENTS_PER_PAGE)
    data = services.dashboard_data(client_ids=list(client_page.items))
    # The links of the per-client table: url_for('onboarding.agents', client_id=…, status=…) once, then
    # the same URL for each row (ids are integers and statuses plain codes: nothing to quote).
    agents_url = url_for("onboarding.agents")
    for row in data["by_client"]:
        row["cells"] = _count_cells(row["counts"], f"{agents_url}?client_id={row['client_id']}&status=")
    unassigned_cells = _count_cells(data["unassigned"], f"{agents_url}?unassigned=1&status=")
    # Likewise the per-client rows of the overdue and checklist lists (a row per client).
    assignments_url = url_for("onboarding.assignments")
    for row in data["overdue"][:DASHBOARD_LIST_ROWS]:
        row["url"] = f"{assignments_url}?client_id={row['client_id']}&overdue=1"
    for row in data["completion"][:DASHBOARD_LIST_ROWS]:
        row["url"] = f"{assignments_url}?client_id={row['client_id']}&state=pending"
    funnel_labels = [label("agent_state", s) for s in services.FUNNEL]
    chart = {
        "funnel": {
            "labels": funnel_labels,
            "counts": [data["funnel"][s] for s in services.FUNNEL],
            "urls": [_url("onboarding.agents", {"status": s}) for s in services.FUNNEL],
            "label": _("客服人数"),
        },
        "weeks": {
            "labels": [w["start"].strftime("%m-%d") for w in data["chart_weeks"]],
            "actual": [w["actual"] for w in data["chart_weeks"]],
            "planned": [w["planned"] for w in data["chart_weeks"]],
            "actual_urls": [_url("onboarding.assignments", w["actual_filters"]) for w in data["chart_weeks"]],
            "planned_urls": [
                _url("onboarding.assignments", w["planned_filters"]) for w in data["chart_weeks"]
            ],
            "actual_label": _("实际上线"),
            "planned_label": _("计划上线（未上线）"),
        },
    }
    return render_template(
        "onboarding/dashboard.html",
        data=data,
        chart_json=json.dumps(chart, ensure_ascii=False).replace("<", "\\u003c"),
        statuses=AGENT_STATES,
        unassigned_cells=unassigned_cells,
        url_for_filters=_url,
        client_page=client_page,
        list_rows=DASHBOARD_LIST_ROWS,
    )


# --- agents --------------------------------------------------------------------------------


def _agent_filters() -> dict:
    return {
        "status": request.args.get("status", ""),
        "client_id": request.args.get("client_id", type=db_int),
        "platform": request.args.get("platform", "")
        if request.args.get("platform") in PLATFORM_CODES
        else "",
        "q": request.args.get("q", "").strip(),
        "unassigned": request.args.get("unassigned", type=db_int),
    }


@bp.route("/agents")
def agents():
    filters = _agent_filters()
    stmt = services.filter_agents(sa.select(Agent), filters, today())
    stmt = stmt.options(selectinload(Agent.assignments).joinedload(Assignment.client)).order_by(
        Agent.employee_no
    )
    page = paginate(stmt)
    return render_template(
        "onboarding/agents.html",
        page=page,
        filters=filters,
        clients=_client_choices(),
        statuses=AGENT_STATES,
        on=today(),
    )


def _agent_data(form: AgentForm) -> dict:
    return {
        "name": form.name.data,
        "employee_no": form.employee_no.data,
        "phone": form.phone.data,
        "status": form.status.data,
        "skills": (form.skills.data or "").replace("，", ",").replace("、", ",").split(","),
        "platforms": form.platforms.data or [],
        "notes": form.notes.data,
    }


@bp.route("/agents/new", methods=["GET", "POST"])
@writers_only
def agent_new():
    form = AgentForm()
    return perform(
        lambda: services.create_agent(_agent_data(form), by=_user()),
        form=form,
        render=lambda: render_template("onboarding/agent_form.html", form=form, agent=None),
        success=lambda agent: _("客服 %(n)s 已创建。", n=agent.name),
        done=lambda agent: url_for("onboarding.agent_detail", agent_id=agent.id),
        back=url_for("onboarding.agents"),
    )


PREVIEW_ROWS = 200  # rows a check-only upload shows


def _import_page(form: AgentImportForm, **context):
    return render_template(
        "onboarding/agent_import.html",
        form=form,
        headers=agent_csv.template_headers(_english()),
        example=agent_csv.template_example(_english()),
        max_rows=agent_csv.MAX_ROWS,
        import_states=agent_csv.IMPORT_STATES,
        platform_codes=PLATFORM_CODES,
        preview_rows=PREVIEW_ROWS,
        **context,
    )


def _upload_refusal(form: AgentImportForm) -> str | None:
    """Why the uploaded file is refused before it is read (not a .csv, too large), or None."""
    upload = form.file.data
    if not safe_display_name(upload.filename).lower().endswith(".csv"):
        return _("请上传 .csv 文件（在 Excel 中“另存为”CSV）。")
    stream = upload.stream
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size > upload_limit_bytes():
        return _("文件太大，上限为 %(mb)s MB，请分批导入。", mb=f"{upload_limit_bytes() / 1048576:g}")
    return None


@bp.route("/agents/import", methods=["GET", "POST"])
@writers_only
def agent_import():
    """Agents from a CSV file: checked whole (every bad row listed), then created all together or not at all."""
    form = AgentImportForm()
    if not form.validate_on_submit():
        return _import_page(form)
    problem = _upload_refusal(form)
    if problem:
        form.file.errors.append(problem)
        return _import_page(form)
    stream = form.file.data.stream
    if form.check.data:
        result = services.check_agent_file(stream)
        db.session.rollback()
        return _import_page(
            form, errors=result.errors, error_count=result.error_count, preview=result, checked=True
        )

    def refused(exc):
        if not isinstance(exc, services.AgentImportError):
            flash(str(exc), exc.category)
            return _import_page(form)
        flash(_("文件中有 %(n)s 处错误，未导入任何客服。请修改后重新上传。", n=exc.total), "danger")
        return _import_page(form, errors=exc.errors, error_count=exc.total)

    return perform(
        lambda: services.import_agents(stream, by=_user()),
        success=lambda result: _("已导入 %(n)s 名客服。", n=len(result.agents)),
        back=url_for("onboarding.agent_import"),
        done=lambda result: make_response(_import_page(AgentImportForm(formdata=None), imported=result)),
        refused=refused,
    )


@bp.route("/agents/template.csv")
@writers_only
def agent_template():
    return send_document(agent_csv.template_csv(_english()), "agents-template.csv", "text/csv; charset=utf-8")


def _english() -> bool:
    """The user reads English: the agents template then uses the English column names and codes."""
    return str(get_locale()) != "zh"


@bp.route("/agents/<int:agent_id>")
def agent_detail(agent_id: int):
    agent = db.get_or_404(Agent, agent_id)
    assignments = db.session.scalars(
        sa.select(Assignment)
        .options(joinedload(Assignment.client), joinedload(Assignment.contract))
        .where(Assignment.agent_id == agent.id)
        .order_by(Assignment.id.desc())
    ).all()
    return render_template(
        "onboarding/agent_detail.html",
        agent=agent,
        assignments=assignments,
        progress=services.progress_by_assignment([a.id for a in assignments]),
        training=services.training_summary(agent),
        on=today(),
    )


@bp.route("/agents/<int:agent_id>/edit", methods=["GET", "POST"])
@writers_only
def agent_edit(agent_id: int):
    agent = db.get_or_404(Agent, agent_id)
    form = AgentForm(obj=agent)
    if request.method == "GET":
        form.skills.data = "，".join(agent.skills or [])
    detail = url_for("onboarding.agent_detail", agent_id=agent.id)
    return perform(
        lambda: services.update_agent(agent, _agent_data(form), by=_user()),
        form=form,
        render=lambda: render_template("onboarding/agent_form.html", form=form, agent=agent),
        success=_("已保存。"),
        back=detail,
    )


# --- assignments ---------------------------------------------------------------------------


def _assignment_filters() -> dict:
    return {
        "client_id": request.args.get("client_id", type=db_int),
        "agent_id": request.args.get("agent_id", type=db_int),
        "contract_id": request.args.get("contract_id", type=db_int),
        "state": request.args.get("state", ""),
        "overdue": request.args.get("overdue", type=db_int),
        "blocked": request.args.get("blocked", type=db_int),
        "planned_from": _date_arg("planned_from"),
        "planned_to": _date_arg("planned_to"),
        "live_from": _date_arg("live_from"),
        "live_to": _date_arg("live_to"),
        "q": request.args.get("q", "").strip(),
    }


@bp.route("/assignments")
def assignments():
    filters = _assignment_filters()
    on = today()
    stmt = services.filter_assignments(sa.select(Assignment), filters, on)
    stmt = stmt.options(
        joinedload(Assignment.agent), joinedload(Assignment.client), joinedload(Assignment.contract)
    ).order_by(Assignment.planned_go_live_on.is_(None), Assignment.planned_go_live_on, Assignment.id)
    page = paginate(stmt)
    return render_template(
        "onboarding/assignments.html",
        page=page,
        filters=filters,
        clients=_client_choices(),
        progress=services.progress_by_assignment([a.id for a in page.items]),
        on=on,
    )


def _assignment_form() -> AssignmentForm:
    form = AssignmentForm()
    agents_ = db.session.scalars(
        sa.select(Agent).where(Agent.status != "left").order_by(Agent.employee_no)
    ).all()
    form.agent_id.choices = [(0, _("请选择客服"))] + [
        (
            a.id,
            _(
                "%(no)s %(name)s（%(state)s）",
                no=a.employee_no,
                name=a.name,
                state=label("agent_state", a.status),
            ),
        )
        for a in agents_
    ]
    form.contract_id.choices = [(0, _("请选择合同"))] + [
        (
            c.id,
            f"{c.number or _('草稿')} · {c.client.name} · "
            + _("%(start)s～%(end)s", start=c.start_on, end=c.end_on),
        )
        for c in services.assignable_contracts()
    ]
    return form


@bp.route("/assignments/new", methods=["GET", "POST"])
@writers_only
def assignment_new():
    form = _assignment_form()
    if request.method == "GET":
        form.agent_id.data = request.args.get("agent_id", 0, type=db_int)
        form.contract_id.data = request.args.get("contract_id", 0, type=db_int)

    def create() -> Assignment:
        return services.create_assignment(
            db.session.get(Agent, form.agent_id.data),
            db.session.get(Contract, form.contract_id.data),
            scope=form.scope.data,
            shift=form.shift.data,
            planned_go_live_on=form.planned_go_live_on.data,
            by=_user(),
            override_reason=form.override_reason.data or "",
        )

    def render():
        contract = db.session.get(Contract, form.contract_id.data or 0)
        usage = services.seat_usage(contract) if contract is not None else []
        return render_template(
            "onboarding/assignment_form.html", form=form, contract=contract, seat_rows=usage
        )

    return perform(
        create,
        form=form,
        render=render,
        success=lambda a: _(
            "已将 %(n)s 分配到 %(c)s，上线清单已生成。", n=a.agent.name, c=a.contract.client.name
        ),
        done=lambda a: url_for("onboarding.assignment_detail", assignment_id=a.id),
        back=url_for("onboarding.assignments"),
    )


def _load_assignment(assignment_id: int) -> Assignment:
    return get_scoped_or_404(Assignment, assignment_id)


def _render_detail(assignment: Assignment, *, revealed: str | None = None, go_live_form=None, end_form=None):
    user = _user()
    ok, reasons = services.gate(assignment)
    credential_form = CredentialForm(obj=assignment.credential) if assignment.credential else CredentialForm()
    if assignment.credential is None:
        credential_form.platform.data = credential_form.platform.data or ""
    go_live_form = go_live_form or GoLiveForm(go_live_on=today())
    end_form = end_form or EndAssignmentForm()
    items = assignment.items
    return render_template(
        "onboarding/assignment_detail.html",
        assignment=assignment,
        items=items,
        actions={item.id: services.item_actions(item, user) for item in items},
        gate_ok=ok,
        gate_reasons=reasons,
        done_form=ItemDoneForm(),
        block_form=ItemBlockForm(),
        confirm=ConfirmForm(),
        go_live_form=go_live_form,
        end_form=end_form,
        planned_form=PlannedDateForm(planned_go_live_on=assignment.planned_go_live_on),
        cancel_form=CancelAssignmentForm(),
        undo_form=UndoGoLiveForm(),
        seat_rows=services.seat_usage(assignment.contract),
        credential_form=credential_form,
        revealed=revealed,
        progress=services.progress_by_assignment([assignment.id]).get(assignment.id, (0, 0)),
    )


@bp.route("/assignments/<int:assignment_id>")
def assignment_detail(assignment_id: int):
    assignment = _load_assignment(assignment_id)
    return _render_detail(assignment)


def _back(assignment: Assignment) -> str:
    return url_for("onboarding.assignment_detail", assignment_id=assignment.id)


def _or_403(action):
    """The action, answering 403 when the service says the user's role may not do it."""

    def run():
        try:
            return action()
        except NotAllowed:
            abort(403)

    return run


@bp.route("/items/<int:item_id>/<any(done, verify, block, na, reopen):action>", methods=["POST"])
@writers_only
def item_action(item_id: int, action: str):
    item = db.get_or_404(ChecklistItem, item_id)
    assignment = _load_assignment(item.assignment_id)
    user = _user()
    title = item.title
    if action == "done":
        form = ItemDoneForm()
        run = lambda: services.mark_item_done(item, by=user, evidence=form.evidence.data)  # noqa: E731
        success = _("“%(t)s”已标记完成。", t=title)
    elif action == "block":
        form = ItemBlockForm()
        run = lambda: services.mark_item_blocked(item, by=user, reason=form.reason.data)  # noqa: E731
        success = _("“%(t)s”已标记受阻。", t=title)
    else:
        form = ConfirmForm()
        run = lambda: services.ITEM_ACTIONS[action](item, by=user)  # noqa: E731
        success = {
            "verify": _("“%(t)s”已复核。", t=title),
            "na": _("“%(t)s”已标记为不适用。", t=title),
            "reopen": _("“%(t)s”已重新打开。", t=title),
        }[action]
    return perform(_or_403(run), form=form, success=success, back=_back(assignment))


@bp.route("/assignments/<int:assignment_id>/planned", methods=["POST"])
@writers_only
def assignment_planned(assignment_id: int):
    assignment = _load_assignment(assignment_id)
    form = PlannedDateForm()
    return perform(
        _or_403(
            lambda: services.update_planned_go_live(assignment, form.planned_go_live_on.data, by=_user())
        ),
        form=form,
        success=_("计划上线日期已更新。"),
        back=_back(assignment),
    )


@bp.route("/assignments/<int:assignment_id>/go-live", methods=["POST"])
@writers_only
def go_live(assignment_id: int):
    assignment = _load_assignment(assignment_id)
    form = GoLiveForm()

    def went_live(overridden: bool) -> str:
        if overridden:
            flash(_("已强制上线（清单未完成），原因已记录。"), "warning")
        else:
            flash(
                _("%(n)s 已于 %(d)s 上线。", n=assignment.agent.name, d=assignment.go_live_on.isoformat()),
                "success",
            )
        return _back(assignment)

    return perform(
        _or_403(
            lambda: services.go_live(
                assignment,
                by=_user(),
                on=form.go_live_on.data,
                override_reason=form.override_reason.data or "",
            )
        ),
        form=form,
        success=None,
        done=went_live,
        back=_back(assignment),
    )


@bp.route("/assignments/<int:assignment_id>/end", methods=["POST"])
@writers_only
def end_assignment(assignment_id: int):
    assignment = _load_assignment(assignment_id)
    form = EndAssignmentForm()
    return perform(
        _or_403(
            lambda: services.end_assignment(
                assignment, by=_user(), end_on=form.end_on.data, agent_left=form.agent_left.data
            )
        ),
        form=form,
        success=_("分配已结束。"),
        back=_back(assignment),
    )


@bp.route("/assignments/<int:assignment_id>/cancel", methods=["POST"])
@writers_only
def cancel_assignment(assignment_id: int):
    assignment = _load_assignment(assignment_id)
    form = CancelAssignmentForm()
    return perform(
        _or_403(lambda: services.cancel_assignment(assignment, by=_user(), reason=form.reason.data or "")),
        form=form,
        success=_("分配已取消，席位已释放。"),
        back=_back(assignment),
    )


@bp.route("/assignments/<int:assignment_id>/undo-go-live", methods=["POST"])
@roles_required(*services.GATE_OVERRIDERS)
def undo_go_live(assignment_id: int):
    assignment = _load_assignment(assignment_id)
    form = UndoGoLiveForm()
    return perform(
        _or_403(lambda: services.undo_go_live(assignment, by=_user(), reason=form.reason.data or "")),
        form=form,
        success=_("上线已撤销，上线日期已清除。"),
        back=_back(assignment),
    )


@bp.route("/assignments/<int:assignment_id>/credential", methods=["POST"])
@writers_only
def credential_set(assignment_id: int):
    assignment = _load_assignment(assignment_id)
    form = CredentialForm()
    return perform(
        _or_403(
            lambda: services.set_credential(
                assignment, form.platform.data, form.account_name.data, form.password.data or "", by=_user()
            )
        ),
        form=form,
        success=_("子账号已保存（密码已加密）。"),
        back=_back(assignment),
    )


@bp.route("/assignments/<int:assignment_id>/credential/reveal", methods=["POST"])
def credential_reveal(assignment_id: int):
    """Show the password once, in this response only (never in the session, a flash or a cache)."""
    assignment = _load_assignment(assignment_id)
    if current_user.role not in services.REVEALERS:
        abort(403)

    def show(password: str):
        response = make_response(_render_detail(assignment, revealed=password))
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        return response

    return perform(
        _or_403(lambda: services.reveal_password(assignment, by=_user())),
        form=ConfirmForm(),
        success=None,
        done=show,
        back=_back(assignment),
    )
