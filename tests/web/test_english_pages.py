"""Every page a role can open, rendered in English, shows no Chinese outside user data.

The world is the demo data set (tests/security/world.py). Every GET route the security matrix lets a
role open is requested as that role, with URL arguments naming that role's objects (and, as admin,
every object's own page); the page must answer 200 (a page that cannot be rendered fails the test, it
is never skipped). The page's text and its shown attribute values (title, placeholder, a button's
value, aria-label, alt …) are collected; every string stored in the database is cut out of that text,
longest first, and what remains must contain no CJK character.

What counts as data: every string column and JSON document in the database except the closed-list
columns in NOT_DATA (pages translate those). That is the names and free text people typed (clients,
agents, shops, reasons, notes, material titles, addresses, rate-card categories …) — and ALSO the
sentences the code wrote and stored at the time, which stay in Chinese: audit summaries, invoice line
descriptions and reasons, invoice KPI results' targets and reasons and billing notes, quotes' stored
calculation and staffing notes. Those are snapshots of a document, not page text; translating them
would mean storing a code and parameters instead.

PDFs and ZIPs are documents in their own language and only have to download; so are the accounting
CSVs (CSV_DOCUMENTS); the usage template's header row is checked (it follows the language).
"""

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import url_for

from ops.billing.models import Invoice
from ops.clients.models import Client
from ops.contracts.models import Contract, ContractAmendment
from ops.extensions import db
from ops.fapiao.rules import SAMPLE_ITEM_CODES
from ops.onboarding.models import Agent, Assignment
from ops.quotes.models import Quote, RateCard
from ops.training.models import Material, TrainingSession
from tests.conftest import login
from tests.security.test_matrix import MATRIX, OK, ROLES, routes, url_values

CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff01-\uff60]+")
# Attributes a reader sees (a submit button's or a filled field's value; not an option's or a hidden one's).
SHOWN_ATTRIBUTES = {"title", "placeholder", "value", "aria-label", "alt", "data-confirm", "label"}
# Columns that hold a word from a closed list (stored as it reads in Chinese), not what someone typed:
# pages translate them, so they are not cut out as data.
NOT_DATA = {
    # A history summary the code wrote is shown from its msgid (translated), not as stored.
    ("audit_entries", "summary_msgid"),
    ("checklist_items", "category"),
    ("checklist_template_items", "category"),
    ("invoice_lines", "unit"),
    ("payments", "method"),
    ("refunds", "method"),
}
# The language switcher names each language in that language. The sample fapiao item names and units
# (ops.fapiao.rules) are what the tax platform prints on a Chinese fapiao: document text, like a PDF's.
ALLOWED = {
    "中文",
    *(c.item_name for c in SAMPLE_ITEM_CODES.values()),
    *(c.unit for c in SAMPLE_ITEM_CODES.values()),
}
# Document downloads: their language is the document's, not the interface's.
DOCUMENTS = ("application/pdf", "application/zip")
# Accounting files: Chinese throughout (headers, state names, descriptions), like the PDFs; half-English
# files would be worse. The usage template is checked: its header row follows the language.
CSV_DOCUMENTS = {"billing.export", "billing.client_statement_csv", "portal.statement_csv"}
# Edit pages open only on an editable object (the world's objects are live): (URL argument, model, state).
EDITABLE = {
    "quotes.edit": ("quote_id", Quote, "draft"),
    "contracts.edit": ("contract_id", Contract, "draft"),
    "contracts.clauses": ("contract_id", Contract, "draft"),
    "contracts.kpis": ("contract_id", Contract, "draft"),
    "training.session_edit": ("session_id", TrainingSession, "scheduled"),
    "ratecards.edit": ("card_id", RateCard, "draft"),
}


class _Text(HTMLParser):
    """The text a reader sees: text nodes and the shown attribute values, one chunk each."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        hidden_value = tag in ("option", "button") or dict(attrs).get("type") in (
            "hidden",
            "checkbox",
            "radio",
        )
        for name, value in attrs:
            if value and name in SHOWN_ATTRIBUTES and not (name == "value" and hidden_value):
                self.chunks.append(value)

    def handle_data(self, data):
        if data.strip():
            self.chunks.append(data)


def page_chunks(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.chunks


def data_strings(app) -> list[str]:
    """Every string with a CJK character stored in any column of any table, longest first."""
    found: set[str] = set()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if isinstance(c.type, sa.String | sa.JSON) and (table.name, c.name) not in NOT_DATA
            ]
            if not columns:
                continue
            stmt = sa.select(*columns)
            if table.name == "audit_entries":
                # Only summaries people typed are data; the code's are translated from their msgid.
                stmt = stmt.where(table.c.summary_msgid.is_(None))
            for row in db.session.execute(stmt):
                for value in row:
                    _collect(value, found)
    return sorted(found, key=len, reverse=True)


def _collect(value, found: set[str]) -> None:
    """The CJK strings in a column value, JSON documents included (whole, and line by line)."""
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        for item in value:
            _collect(item, found)
    elif isinstance(value, str) and CJK.search(value):
        found.add(value.strip())
        found.update(line.strip() for line in value.splitlines() if line.strip())


def leftover_cjk(chunks: list[str], data: list[str]) -> list[str]:
    """The chunks that still hold CJK once every data string is cut out (as cut, for the message)."""
    left = []
    for chunk in chunks:
        if not CJK.search(chunk):
            continue
        if chunk.strip() in data or chunk.strip() in ALLOWED:
            continue
        for value in data:
            if len(value) > 1 and value in chunk:  # one character is too short to tell data from text
                chunk = chunk.replace(value, "\x00")
        if CJK.search(chunk):
            left.append(" ".join(chunk.split()))
    return left


# GET routes that answer with something other than a page: the health JSON, and /billing/zip, which
# leads an old link to the period's invoice list (the ZIP is a job now, started there with a POST).
NOT_PAGES = {"main.healthz", "billing.zip"}


def pages(app, role: str) -> list[str]:
    """The GET endpoints ``role`` may open (the security matrix's OK), minus the POST-only ones."""
    index = ROLES.index(role)
    rules = routes(app)
    return sorted(
        endpoint
        for endpoint, row in MATRIX.items()
        if row[index] == OK and "GET" in rules[endpoint].methods and endpoint not in NOT_PAGES
    )


def page_url(app, world, endpoint: str, role: str) -> str:
    rule = routes(app)[endpoint]
    values = url_values(world, rule, role)
    with app.app_context():
        if endpoint in EDITABLE:
            name, model, status = EDITABLE[endpoint]
            values[name] = db.session.scalar(sa.select(sa.func.min(model.id)).where(model.status == status))
            assert values[name] is not None, f"the world has no {status} {model.__name__}"
        if endpoint == "amendments.edit":
            # Only a draft amendment has an edit form; the world's is sent (the portal answers it).
            # The contract has one open amendment at most, so this one is turned back into a draft.
            amendment = db.session.get(ContractAmendment, values["amendment_id"])
            amendment.status = "draft"
            db.session.commit()
    with app.test_request_context():
        return url_for(endpoint, **values)


def check_page(client, url: str, data: list[str], problems: dict[str, list[str]]) -> None:
    response = client.get(url)
    response.close()
    if response.status_code != 200:
        problems[url] = [f"status {response.status_code} {response.headers.get('Location', '')}"]
        return
    left = leftover_cjk(page_chunks(response.get_data(as_text=True)), data)
    if left:
        problems[url] = sorted(set(left))


def to_english(client) -> None:
    response = client.post("/language", data={"lang": "en", "next": "/"})
    assert response.status_code == 302


@pytest.mark.parametrize("role", ROLES)
def test_every_page_in_english_shows_no_chinese_outside_user_data(app, client, world, role):
    if role != "anonymous":
        assert login(client, world.usernames[role]).status_code == 302
    to_english(client)
    data = data_strings(app)
    problems: dict[str, list[str]] = {}
    checked = 0
    for endpoint in pages(app, role):
        if (endpoint == "auth.login" and role != "anonymous") or (
            endpoint == "main.index" and role == "client"
        ):
            continue  # sent to their home page (the staff home, the portal), which is checked itself
        url = page_url(app, world, endpoint, role)
        response = client.get(url)
        body = response.get_data(as_text=response.mimetype not in DOCUMENTS)
        response.close()  # a download streams a file
        if response.status_code != 200:
            problems[f"{endpoint} {url}"] = [
                f"status {response.status_code} {response.headers.get('Location', '')}"
            ]
            continue
        if response.mimetype in DOCUMENTS:  # checked: it downloads
            continue
        if endpoint in CSV_DOCUMENTS:
            assert response.mimetype == "text/csv", f"{url}: {response.mimetype}"
            continue
        if response.mimetype == "text/csv":
            chunks = body.lstrip("\ufeff").splitlines()[:1]
        elif response.mimetype == "application/json":  # a job's progress: codes, numbers, stored text
            chunks = [v for v in response.get_json().values() if isinstance(v, str)]
        else:
            assert response.mimetype == "text/html", f"{url}: {response.mimetype}"
            chunks = page_chunks(body)
        checked += 1
        left = leftover_cjk(chunks, data)
        if left:
            problems[f"{endpoint} {url}"] = sorted(set(left))
    assert checked > 0
    report = "\n".join(f"{page}:\n    " + "\n    ".join(found) for page, found in problems.items())
    assert not problems, f"{len(problems)} pages as {role} show Chinese in English:\n{report}"


# Every object's own page (the states, terms and histories differ from object to object), as admin.
OBJECT_PAGES = {
    "clients.detail": ("client_id", Client),
    "quotes.detail": ("quote_id", Quote),
    "contracts.detail": ("contract_id", Contract),
    "billing.invoice_detail": ("invoice_id", Invoice),
    "billing.client_account": ("client_id", Client),
    "training.session_detail": ("session_id", TrainingSession),
    "training.material_detail": ("material_id", Material),
    "onboarding.assignment_detail": ("assignment_id", Assignment),
    "onboarding.agent_detail": ("agent_id", Agent),
    "ratecards.detail": ("card_id", RateCard),
}


def test_every_object_page_in_english_shows_no_chinese_outside_user_data(app, client, world):
    assert login(client, world.usernames["admin"]).status_code == 302
    to_english(client)
    data = data_strings(app)
    urls = []
    with app.app_context():
        for endpoint, (name, model) in OBJECT_PAGES.items():
            ids = db.session.scalars(sa.select(model.id).order_by(model.id)).all()
            assert ids, f"the world has no {model.__name__}"
            with app.test_request_context():
                urls += [url_for(endpoint, **{name: object_id}) for object_id in ids]
    problems: dict[str, list[str]] = {}
    for url in urls:
        check_page(client, url, data, problems)
    report = "\n".join(f"{page}:\n    " + "\n    ".join(found) for page, found in problems.items())
    assert not problems, f"{len(problems)} of {len(urls)} pages show Chinese in English:\n{report}"
