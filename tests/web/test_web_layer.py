"""The shared web layer: perform() commits or rolls back and answers, the shared fields parse into
stored units, the vocabulary labels translate."""

import pytest
import sqlalchemy as sa
from flask import render_template_string
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from ops.audit.models import AuditEntry
from ops.audit.services import record
from ops.errors import Conflict, NotAllowed, ServiceError
from ops.extensions import db as _db
from ops.forms import MultiCheckboxField, PercentField, YuanField
from ops.web import label, perform


class AmountForm(FlaskForm):
    class Meta:
        csrf = False

    amount = YuanField("金额")
    share = PercentField("占比", maximum=10_000)
    tags = MultiCheckboxField("标签", choices=[SelectChoice("a", "A"), SelectChoice("b", "B")])


def _audit_count() -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def test_perform_commits_flashes_and_redirects_on_success(app, db):
    with app.test_request_context("/", method="POST"):
        answer = perform(lambda: record("test.done", None, summary="ok"), success="已完成", back="/back")
        assert answer.status_code == 302 and answer.location == "/back"
        from flask import get_flashed_messages

        assert get_flashed_messages(with_categories=True) == [("success", "已完成")]
    db.session.remove()
    assert _audit_count() == 1


def test_perform_rolls_back_and_flashes_a_refusal(app, db):
    def refuse():
        record("test.half_done", None, summary="written, then refused")
        raise Conflict("已被其他人处理")

    with app.test_request_context("/", method="POST"):
        answer = perform(refuse, success="不应出现", back="/back")
        from flask import get_flashed_messages

        assert answer.location == "/back"
        assert get_flashed_messages(with_categories=True) == [("danger", "已被其他人处理")]
    db.session.remove()
    assert _audit_count() == 0  # nothing the refused action wrote stays


def test_perform_puts_a_field_error_on_the_form_and_rerenders(app, db):
    with app.test_request_context("/", method="POST", data={"amount": "12.50", "share": "5"}):
        form = AmountForm()

        def refuse():
            raise ServiceError("金额超过未付余额", field="amount")

        answer = perform(refuse, success="x", back="/back", form=form, render=lambda: "FORM")
        assert answer == "FORM"
        assert form.amount.errors[-1] == "金额超过未付余额"


def test_perform_done_target_gets_the_result(app, db):
    with app.test_request_context("/", method="POST"):
        answer = perform(
            lambda: 42, success=lambda n: f"第 {n} 号", back="/form", done=lambda n: f"/objects/{n}"
        )
        assert answer.location == "/objects/42"


def test_error_statuses():
    assert ServiceError("x").status == 422
    assert NotAllowed("x").status == 403
    assert Conflict("x").status == 409
    assert isinstance(Conflict("x"), ValueError)  # WTForms and older callers catch ValueError


@pytest.mark.parametrize(
    ("typed", "fen", "bp"),
    [("12,345.67", 1_234_567, None), ("0.01", 1, None)],
)
def test_yuan_field_holds_fen(app, typed, fen, bp):
    with app.test_request_context("/"):
        form = AmountForm(formdata=MultiDict({"amount": typed}))
        assert form.amount.data == fen
        assert form.amount._value() == typed  # shown back as typed


def test_percent_field_holds_basis_points_and_refuses_above_its_maximum(app):
    with app.test_request_context("/"):
        assert AmountForm(formdata=MultiDict({"share": "2.5%"})).share.data == 250
        form = AmountForm(formdata=MultiDict({"share": "100.01"}))
        form.validate()
        assert form.share.data is None and form.share.errors


def test_multi_checkbox_without_any_box_is_an_empty_list(app):
    with app.test_request_context("/"):
        form = AmountForm(formdata=MultiDict({"amount": "1"}))
        assert form.tags.data == []


def test_labels_translate_by_language(app, client):
    with app.test_request_context("/"):
        assert label("shift", "day") == "白班"
        assert label("platform", "pdd") == "拼多多"
        assert label("shift", "unknown") == "unknown"
        assert render_template_string('{{ label("scope", "presales") }}') == "售前"
