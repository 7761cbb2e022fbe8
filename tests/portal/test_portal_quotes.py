"""The client portal's quote pages: only the client's own sent quotes, answers audited as the client."""

import io
import re
from datetime import timedelta

import sqlalchemy as sa
from pypdf import PdfReader

from ops.audit.models import AuditEntry
from ops.quotes import services
from ops.timeutil import today
from tests.quotes.quote_factories import client_with_needs, make_quote, send


def _setup(db):
    """Our client with a sent quote and a draft; another client with a sent quote."""
    ours = client_with_needs(db)
    sent = send(db, make_quote(db, client=ours))
    draft = make_quote(db, client=ours, model="per_consult")
    theirs = send(
        db,
        make_quote(db, client=client_with_needs(db, name="上海优品数码", legal_name="上海优品科技有限公司")),
    )
    return ours, sent, draft, theirs


def test_client_sees_only_its_own_sent_quotes(client, login_as, db):
    ours, sent, draft, theirs = _setup(db)
    login_as("client", client_id=ours.id)
    html = client.get("/portal/quotes").get_data(as_text=True)
    assert sent.number in html and draft.number not in html and theirs.number not in html
    assert client.get(f"/portal/quotes/{sent.id}").status_code == 200
    assert client.get(f"/portal/quotes/{theirs.id}").status_code == 404
    assert client.get(f"/portal/quotes/{draft.id}").status_code == 404
    assert client.get(f"/portal/quotes/{theirs.id}/pdf").status_code == 404
    assert client.get(f"/portal/quotes/{draft.id}/pdf").status_code == 404
    assert client.post(f"/portal/quotes/{theirs.id}/accept").status_code == 404
    assert client.get("/quotes/").status_code == 403


def test_superseded_versions_are_hidden(client, login_as, db):
    ours, sent, _draft, _theirs = _setup(db)
    revision = services.revise_quote(sent, None)
    services.send_quote(revision, None)
    db.session.commit()
    login_as("client", client_id=ours.id)
    assert client.get(f"/portal/quotes/{sent.id}").status_code == 404
    assert client.get(f"/portal/quotes/{revision.id}").status_code == 200


def test_overview_counts_quotes_awaiting_an_answer(client, login_as, db):
    ours, _sent, _draft, _theirs = _setup(db)
    login_as("client", client_id=ours.id)
    html = client.get("/portal/").get_data(as_text=True)
    assert ours.name in html and "洽谈中" in html
    assert "有 1 份报价等待您确认" in html


def test_detail_shows_the_breakdown_and_the_answer_form(client, login_as, db):
    ours, sent, _draft, _theirs = _setup(db)
    login_as("client", client_id=ours.id)
    html = client.get(f"/portal/quotes/{sent.id}").get_data(as_text=True)
    assert "日均咨询 800 次 ÷ 每人每天 200 次 = 4 人" in html
    assert "¥21,000.00" in html and "人民币贰万壹仟元整" in html
    assert "接受报价" in html and "拒绝报价" in html


def test_portal_accept_is_audited_with_the_client_user(client, login_as, db):
    ours, sent, _draft, _theirs = _setup(db)
    user = login_as("client", client_id=ours.id)
    response = client.post(f"/portal/quotes/{sent.id}/accept", data={"comment": "同意，请安排签约"})
    assert response.status_code == 302
    db.session.refresh(sent)
    assert sent.status == "accepted" and sent.decided_by_id == user.id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "quote.accepted"))
    assert entry.user_id == user.id and entry.actor == user.username
    assert (
        entry.object_id == sent.id
        and entry.before["status"] == "sent"
        and entry.after["status"] == "accepted"
    )
    html = client.get(f"/portal/quotes/{sent.id}").get_data(as_text=True)
    assert "接受报价" not in html and "同意，请安排签约" in html


def test_portal_reject_needs_a_reason(client, login_as, db):
    ours, sent, _draft, _theirs = _setup(db)
    login_as("client", client_id=ours.id)
    html = client.post(
        f"/portal/quotes/{sent.id}/reject", data={"comment": ""}, follow_redirects=True
    ).get_data(as_text=True)
    assert "请填写拒绝原因" in html
    db.session.refresh(sent)
    assert sent.status == "sent"
    client.post(f"/portal/quotes/{sent.id}/reject", data={"comment": "价格偏高"})
    db.session.refresh(sent)
    assert sent.status == "rejected" and sent.decision_comment == "价格偏高"


def test_accept_after_validity_is_refused(client, login_as, db):
    ours, sent, _draft, _theirs = _setup(db)
    sent.valid_until = today() - timedelta(days=1)
    db.session.commit()
    login_as("client", client_id=ours.id)
    html = client.get(f"/portal/quotes/{sent.id}").get_data(as_text=True)
    assert "接受报价" not in html and "已过有效期" in html
    html = client.post(
        f"/portal/quotes/{sent.id}/accept", data={"comment": ""}, follow_redirects=True
    ).get_data(as_text=True)
    assert "过期" in html
    db.session.refresh(sent)
    assert sent.status == "expired"


def test_portal_pdf(client, login_as, db):
    ours, sent, _draft, _theirs = _setup(db)
    login_as("client", client_id=ours.id)
    response = client.get(f"/portal/quotes/{sent.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages))
    assert "北京晨光家居旗舰店" in text and "人民币贰万壹仟元整" in text  # ¥21,000.00


def test_staff_cannot_open_the_portal(client, login_as):
    login_as("sales")
    assert client.get("/portal/quotes").status_code == 403
