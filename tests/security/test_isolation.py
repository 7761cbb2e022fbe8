"""Client isolation: client A's user never reaches, nor sees, client B's records.

Every portal route that names an object is requested with B's object (quote, contract and its PDF
and signed copy, material and its download, agent progress, invoice and its PDF, credit note PDF):
each answers 404, exactly as for an id that does not exist, and a POST changes nothing. A's portal
pages show none of B's names and numbers.
"""

import io

import pytest
import sqlalchemy as sa
from flask import url_for

from ops.audit.models import AuditEntry
from ops.clients.models import Client
from ops.extensions import db
from ops.quotes.models import Quote
from ops.training.models import MaterialVersion
from tests.conftest import login
from tests.security.test_matrix import RENAMED
from tests.training.helpers import pdf_bytes, stored_files

PORTAL_PAGES = (
    "portal.index",
    "portal.quotes",
    "portal.contracts",
    "portal.invoices",
    "portal.materials",
    "portal.sessions",
    "portal.agents",
)


def object_rules(app) -> list:
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.startswith("portal.") and r.arguments),
        key=lambda r: r.endpoint,
    )


def values_for(objects, rule) -> dict:
    values = {}
    for name in rule.arguments:
        key = RENAMED.get(("portal", name), name)
        values[name] = 1 if key == "version_no" else getattr(objects, key)
    return values


def counts(app) -> dict:
    with app.app_context():
        return {
            "audit": db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
            "versions": db.session.scalar(sa.select(sa.func.count()).select_from(MaterialVersion)),
            "quotes": dict(db.session.execute(sa.select(Quote.id, Quote.status)).all()),
        }


@pytest.fixture
def client_a(client, world):
    assert login(client, world.usernames["client"]).status_code == 302
    return client


def test_every_portal_object_route_is_covered(app, world):
    covered = {r.endpoint for r in object_rules(app)}
    assert covered >= {
        "portal.quote_detail",
        "portal.quote_pdf",
        "portal.quote_accept",
        "portal.quote_reject",
        "portal.contract_detail",
        "portal.contract_pdf",
        "portal.contract_signed",
        "portal.material_download",
        "portal.material_add_version",
        "portal.agent_detail",
        "portal.invoice_detail",
        "portal.invoice_pdf",
        "portal.credit_note_pdf",
    }
    assert world.a.client_id != world.b.client_id


def test_own_objects_answer_on_every_portal_route(app, client_a, world):
    for rule in object_rules(app):
        if "GET" not in rule.methods:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **values_for(world.a, rule))
        response = client_a.get(url)
        response.close()
        assert response.status_code == 200, url


def test_another_clients_objects_are_404_on_every_portal_route(app, client_a, world):
    before = counts(app)
    files_before = stored_files(app)
    for rule in object_rules(app):
        with app.test_request_context():
            url = url_for(rule.endpoint, **values_for(world.b, rule))
        if "GET" in rule.methods:
            response = client_a.get(url)
        else:
            data = {"comment": "越权", "note": "越权", "file": (io.BytesIO(pdf_bytes("B")), "b.pdf")}
            response = client_a.post(url, data=data, content_type="multipart/form-data")
        response.close()
        assert response.status_code == 404, f"{rule.endpoint} {url} -> {response.status_code}"
    assert counts(app) == before
    assert stored_files(app) == files_before


def test_portal_pages_show_nothing_of_another_client(app, client_a, world):
    with app.app_context():
        b_client = db.session.get(Client, world.b.client_id)
        b_texts = {
            world.b.name,
            b_client.legal_name,
            world.b.quote_number,
            world.b.contract_number,
            world.b.invoice_number,
        }
    for endpoint in PORTAL_PAGES:
        with app.test_request_context():
            url = url_for(endpoint)
        html = client_a.get(url).get_data(as_text=True)
        assert world.a.name in html or endpoint != "portal.index", url
        for text in b_texts:
            assert text not in html, f"{url} shows {text!r} of another client"


def test_portal_lists_show_own_records(client_a, world):
    """The negative checks above mean something only if the same pages do list A's records."""
    assert world.a.quote_number in client_a.get("/portal/quotes").get_data(as_text=True)
    assert world.a.contract_number in client_a.get("/portal/contracts").get_data(as_text=True)
    assert world.a.invoice_number in client_a.get("/portal/invoices").get_data(as_text=True)
