"""The security matrix: every route × every role, one table, one parametrized test.

Each route is requested once per role: GET when the route has GET, otherwise a POST with an empty
form (CSRF is off here, as in every test: test_csrf.py covers the token). URL arguments name
objects of client A, the logged-in client user's own company, so "ok" for the client role on a
portal route means the client really reaches its own object (and the 404s for another client's
objects are test_isolation.py's subject).

Outcomes:
- ``OK``: the page's own flow — a status below 400 that is not a redirect to /login (a 200 page, a
  download, or a redirect after a POST the page refused or carried out);
- ``LOGIN``: 302 to /login (anonymous users);
- ``NO``: 403 (the role may not use the route);
- ``NOTFOUND``: 404; ``METHOD``: 405;
- ``TOKEN``: 401 problem+json (the API authenticates with tokens, never the session);
- ``LOGOUT``: 302 to /login after ending the session (a logged-in user's /logout).
A POST the table refuses (``NO``, ``LOGIN``, ``TOKEN``) writes no audit entry.
"""

import pytest
import sqlalchemy as sa
from flask import url_for
from werkzeug.routing import AnyConverter

from ops.audit.models import AuditEntry
from ops.extensions import db
from tests.conftest import login
from tests.security.world import ROLES

OK, LOGIN, NO, NOTFOUND, METHOD = "ok", "login", "forbidden", "notfound", "method"
TOKEN, LOGOUT = "token", "logout"
REFUSED = {NO, LOGIN, TOKEN}
UNLISTED = {"static", "bootstrap.static"}

# fmt: off
MATRIX = {
    #                                         anonymous admin  manager sales  trainer finance client
    "amendments.accept_on_behalf":           (LOGIN,    OK,    OK,     NO,    NO,     NO,     NO),
    "amendments.edit":                       (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "amendments.new":                        (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "amendments.pdf":                        (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "amendments.send":                       (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "amendments.withdraw":                   (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "api.post_usage":                        (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api-docs.openapi_json":                 (OK,       OK,    OK,     OK,    OK,     OK,     OK),
    "api_billing.create_payment":            (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_billing.get_invoice":               (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_billing.get_invoice_pdf":           (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_billing.get_invoice_fapiao":        (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_billing.get_statement":             (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_billing.list_credit_notes":         (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_billing.list_invoices":             (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_billing.list_payments":             (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_clients.create_client":             (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_clients.create_contact":            (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_clients.get_client":                (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_clients.get_contact":               (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_clients.list_clients":              (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_clients.list_contacts":             (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_clients.list_needs":                (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_clients.update_client":             (METHOD,   METHOD,METHOD, METHOD,METHOD, METHOD, METHOD),  # probed with POST; tests/api/test_scopes.py covers PATCH
    "api_clients.update_contact":            (METHOD,   METHOD,METHOD, METHOD,METHOD, METHOD, METHOD),  # probed with POST; tests/api/test_scopes.py covers PATCH
    "api_reference.docs":                    (OK,       OK,    OK,     OK,    OK,     OK,     OK),
    "api_sales.create_dated_extra":          (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_sales.get_contract":                (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_sales.get_quote":                   (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_sales.list_contracts":              (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_sales.list_dated_extras":           (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_sales.list_quotes":                 (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_staffing.create_agents_bulk":       (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_staffing.get_agent":                (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_staffing.list_agents":              (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_staffing.list_assignments":         (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "api_usage.list_usage":                  (TOKEN,    TOKEN, TOKEN,  TOKEN, TOKEN,  TOKEN,  TOKEN),
    "audit.index":                           (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "auth.change_password":                  (LOGIN,    OK,    OK,     OK,    OK,     OK,     OK),
    "auth.login":                            (OK,       OK,    OK,     OK,    OK,     OK,     OK),
    "auth.logout":                           (LOGIN,    LOGOUT, LOGOUT, LOGOUT, LOGOUT, LOGOUT, LOGOUT),
    "bank.formats":                          (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "bank.ignore":                           (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "bank.ignored":                          (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "bank.import_statement":                 (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "bank.index":                            (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "bank.match":                            (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "bank.new_format":                       (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "bank.queue":                            (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "bank.statement":                        (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "bank.undo":                             (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "bank.unignore":                         (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.add_adjustment":                (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.ageing":                        (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.apply_credit":                  (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.bill_late_fee":                 (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.clear_dispute":                 (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.client_account":                (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.client_statement_csv":          (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.client_statement_pdf":          (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.credit_note":                   (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.credit_note_pdf":               (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.export":                        (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.invoice_detail":                (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.invoice_pdf":                   (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.invoices":                      (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.issue":                         (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.mark_disputed":                 (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.pause_dunning":                 (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.record_payment":                (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.record_refund":                 (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.reissue":                       (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.remove_adjustment":             (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.resume_dunning":                (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.runs":                          (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.statements":                    (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.void":                          (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.waive_late_fee":                (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "billing.zip":                           (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "clients.archive":                       (LOGIN,    OK,    OK,     NO,    NO,     NO,     NO),
    "fapiao.codes":                          (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "fapiao.edit_code":                      (LOGIN,    OK,    NO,     NO,    NO,     OK,     NO),
    "fapiao.export_file":                    (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "fapiao.export_page":                    (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "fapiao.import_numbers":                 (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "fapiao.record":                         (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "fapiao.reprint":                        (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "clients.contact_add":                   (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "clients.contact_edit":                  (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "clients.contact_remove":                (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "clients.create":                        (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "clients.detail":                        (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "clients.edit":                          (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "clients.index":                         (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "clients.needs_history":                 (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "clients.needs_new":                     (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "clients.plan":                          (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "clients.plan_create":                   (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "clients.plan_item_add":                 (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "clients.plan_item_edit":                (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "clients.plan_item_toggle":              (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "clients.restore":                       (LOGIN,    OK,    OK,     NO,    NO,     NO,     NO),
    "clients.set_stage":                     (LOGIN,    OK,    OK,     NO,    NO,     NO,     NO),
    "clients.shop_add":                      (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "clients.shop_remove":                   (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "dated_extras.add":                      (LOGIN,    OK,    OK,     NO,    OK,     OK,     NO),
    "dated_extras.delete":                   (LOGIN,    OK,    OK,     NO,    OK,     OK,     NO),
    "contract_admin.clause_create":          (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "contract_admin.clause_edit":            (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "contract_admin.clause_set_active":      (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "contract_admin.clauses":                (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "contract_admin.vendor":                 (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "contracts.activate":                    (LOGIN,    OK,    OK,     NO,    NO,     NO,     NO),
    "contracts.clauses":                     (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "contracts.create_from_quote":           (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "contracts.deposit_receive":             (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "contracts.deposit_settle":              (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "contracts.deposit_waive":               (LOGIN,    OK,    OK,     NO,    NO,     NO,     NO),
    "contracts.detail":                      (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "contracts.download_signed":             (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "contracts.edit":                        (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "contracts.index":                       (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "contracts.kpis":                        (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "contracts.pdf":                         (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "contracts.renewals":                    (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "contracts.return_to_draft":             (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "contracts.submit":                      (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "contracts.cancel":                      (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "contracts.terminate":                   (LOGIN,    OK,    OK,     NO,    NO,     NO,     NO),
    "contracts.upload_signed":               (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    # Jobs are seen by the roles of their kind: the world's job is a finance job (admin, manager,
    # finance); it has no file, so its download is 404 to everyone.
    "jobs.cancel":                           (LOGIN,    OK,    OK,     NOTFOUND, NOTFOUND, OK, NO),
    "jobs.detail":                           (LOGIN,    OK,    OK,     NOTFOUND, NOTFOUND, OK, NO),
    "jobs.detail_json":                      (LOGIN,    OK,    OK,     NOTFOUND, NOTFOUND, OK, NO),
    "jobs.download":                         (LOGIN,    NOTFOUND, NOTFOUND, NOTFOUND, NOTFOUND, NOTFOUND, NO),
    "jobs.index":                            (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "jobs.retry":                            (LOGIN,    OK,    OK,     NOTFOUND, NOTFOUND, OK, NO),
    "main.healthz":                          (OK,       OK,    OK,     OK,    OK,     OK,     OK),
    "main.index":                            (LOGIN,    OK,    OK,     OK,    OK,     OK,     OK),
    "main.set_language":                     (OK,       OK,    OK,     OK,    OK,     OK,     OK),
    "onboarding.agent_detail":               (LOGIN,    OK,    OK,     OK,    OK,     NO,     NO),
    "onboarding.agent_edit":                 (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding.agent_import":               (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding.agent_new":                  (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding.agent_template":             (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding.agents":                     (LOGIN,    OK,    OK,     OK,    OK,     NO,     NO),
    "onboarding.assignment_detail":          (LOGIN,    OK,    OK,     OK,    OK,     NO,     NO),
    "onboarding.assignment_new":             (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding.assignment_planned":         (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding.assignments":                (LOGIN,    OK,    OK,     OK,    OK,     NO,     NO),
    "onboarding.cancel_assignment":          (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding.credential_reveal":          (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding.credential_set":             (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding.dashboard":                  (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding.end_assignment":             (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding.go_live":                    (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding.item_action":                (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding.undo_go_live":               (LOGIN,    OK,    OK,     NO,    NO,     NO,     NO),
    "notifications.index":                   (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "notifications.open_one":                (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "notifications.preferences":             (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "notifications.read_all":                (LOGIN,    OK,    OK,     OK,    OK,     OK,     NO),
    "onboarding_admin.rule_delete":          (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding_admin.rule_edit":            (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding_admin.rule_new":             (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding_admin.rules":                (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "onboarding_admin.template":             (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "onboarding_admin.template_item_delete": (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "onboarding_admin.template_item_edit":   (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "onboarding_admin.template_item_move":   (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "onboarding_admin.template_item_new":    (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "outbox.index":                          (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "outbox.message":                        (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "outbox.resend":                         (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "portal.agent_detail":                   (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.agents":                         (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.amendment_accept":               (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.amendment_pdf":                  (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.amendment_reject":               (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.contract_detail":                (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.contract_pdf":                   (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.contract_signed":                (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.contracts":                      (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.credit_note_pdf":                (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.index":                          (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.invoice_detail":                 (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.invoice_pdf":                    (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.invoice_reprint":                (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.invoices":                       (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.statement":                      (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.statement_csv":                  (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.statement_pdf":                  (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.material_add_version":           (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.material_download":              (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.materials":                      (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.quote_accept":                   (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.quote_detail":                   (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.quote_pdf":                      (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.quote_reject":                   (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.quotes":                         (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "portal.sessions":                       (LOGIN,    NO,    NO,     NO,    NO,     NO,     OK),
    "quotes.accept":                         (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "quotes.approve_discount":               (LOGIN,    OK,    OK,     NO,    NO,     NO,     NO),
    "quotes.create":                         (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "quotes.detail":                         (LOGIN,    OK,    OK,     OK,    NO,     OK,     NO),
    "quotes.edit":                           (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "quotes.index":                          (LOGIN,    OK,    OK,     OK,    NO,     OK,     NO),
    "quotes.pdf":                            (LOGIN,    OK,    OK,     OK,    NO,     OK,     NO),
    "quotes.reject":                         (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "quotes.revise":                         (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "quotes.send":                           (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "quotes.withdraw":                       (LOGIN,    OK,    OK,     OK,    NO,     NO,     NO),
    "ratecards.create":                      (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "ratecards.detail":                      (LOGIN,    OK,    OK,     NO,    NO,     NO,     NO),
    "ratecards.discard":                     (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "ratecards.edit":                        (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "ratecards.index":                       (LOGIN,    OK,    OK,     NO,    NO,     NO,     NO),
    "ratecards.load_sample":                 (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "ratecards.publish":                     (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "tokens.create":                         (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "tokens.index":                          (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "tokens.revoke":                         (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "training.index":                        (LOGIN,    OK,    OK,     OK,    OK,     NO,     NO),
    "training.material_add_version":         (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "training.material_detail":              (LOGIN,    OK,    OK,     OK,    OK,     NO,     NO),
    "training.material_download":            (LOGIN,    OK,    OK,     OK,    OK,     NO,     NO),
    "training.material_new":                 (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "training.materials":                    (LOGIN,    OK,    OK,     OK,    OK,     NO,     NO),
    "training.platform_rules":               (LOGIN,    OK,    OK,     OK,    OK,     NO,     NO),
    "training.session_attendance":           (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "training.session_cancel":               (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "training.session_complete":             (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "training.session_detail":               (LOGIN,    OK,    OK,     OK,    OK,     NO,     NO),
    "training.session_edit":                 (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "training.session_exam":                 (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "training.session_new":                  (LOGIN,    OK,    OK,     NO,    OK,     NO,     NO),
    "training.sessions":                     (LOGIN,    OK,    OK,     OK,    OK,     NO,     NO),
    "usage.client":                          (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "usage.import_form":                     (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "usage.index":                           (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "usage.template":                        (LOGIN,    OK,    OK,     NO,    NO,     OK,     NO),
    "users.create":                          (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "users.edit":                            (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "users.index":                           (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "users.reset_password":                  (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "users.set_active":                      (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "users.unlock":                          (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    # Public, but without the printed code it answers 无法验证 (404) to everyone, like an unknown number.
    "verify.verify":                         (NOTFOUND, NOTFOUND, NOTFOUND, NOTFOUND, NOTFOUND, NOTFOUND, NOTFOUND),
    "webhooks.create":                       (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "webhooks.delete":                       (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "webhooks.deliveries":                   (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "webhooks.delivery_detail":              (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "webhooks.detail":                       (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "webhooks.disable":                      (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "webhooks.edit":                         (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "webhooks.enable":                       (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "webhooks.index":                        (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "webhooks.ping":                         (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "webhooks.resend":                       (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
    "webhooks.rotate":                       (LOGIN,    OK,    NO,     NO,    NO,     NO,     NO),
}
# fmt: on

# The one value of an ``any(...)`` segment each route is requested with.
CHOICES = {
    "users.set_active": "activate",
    "contract_admin.clause_set_active": "activate",
    "onboarding.item_action": "done",
    "onboarding_admin.template_item_move": "down",
    "fapiao.edit_code": "seat",
}
# URL arguments whose name means a different object on different blueprints.
RENAMED = {
    ("clients", "item_id"): "plan_item_id",
    ("onboarding", "item_id"): "checklist_item_id",
    ("onboarding_admin", "item_id"): "template_item_id",
    ("billing", "note_id"): "credit_note_id",
    ("portal", "note_id"): "credit_note_id",
    ("verify", "number"): "invoice_number",
    ("outbox", "name"): "eml_name",
    ("webhooks", "delivery_id"): "webhook_delivery_id",
}
# Removal routes get one target per role: an empty POST is a confirmed removal while CSRF is off.
PER_ROLE = {
    "api_clients.get_contact",  # a contact of A (the API's own matrix covers every token kind)
    "api_clients.update_contact",
    "notifications.open_one",  # each role opens its own notification (someone else's is 404)
    "dated_extras.delete",
    "clients.contact_remove",
    "clients.contact_edit",
    "clients.shop_remove",
    "onboarding_admin.rule_delete",
    "onboarding_admin.template_item_delete",
    "webhooks.delete",
}


def url_values(world, rule, role: str) -> dict:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = CHOICES[rule.endpoint]
            continue
        key = RENAMED.get((rule.endpoint.split(".", 1)[0], name), name)
        if key == "version_no":
            values[name] = 1
        elif hasattr(world.a, key):
            values[name] = getattr(world.a, key)
        elif rule.endpoint in PER_ROLE:
            values[name] = world.ids[f"{key}:{role}"]
        else:
            values[name] = world.ids[key]
    return values


def routes(app) -> dict:
    return {rule.endpoint: rule for rule in app.url_map.iter_rules() if rule.endpoint not in UNLISTED}


def outcome(response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.split("?")[0].endswith("/login"):
        return LOGIN
    known = {401: TOKEN, 403: NO, 404: NOTFOUND, 405: METHOD}
    if response.status_code in known:
        return known[response.status_code]
    return OK if response.status_code < 400 else f"status {response.status_code}"


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def test_table_lists_every_route_and_only_routes(app, world):
    endpoints = set(routes(app))
    assert sorted(endpoints - set(MATRIX)) == [], "routes missing from the security matrix"
    assert sorted(set(MATRIX) - endpoints) == [], "stale entries in the security matrix"
    assert all(len(row) == len(ROLES) for row in MATRIX.values())


@pytest.mark.parametrize(("endpoint", "role"), [(e, r) for e in sorted(MATRIX) for r in ROLES])
def test_route_answers_each_role_as_the_table_says(app, client, world, endpoint, role):
    expected = MATRIX[endpoint][ROLES.index(role)]
    rule = routes(app)[endpoint]
    if role != "anonymous":
        assert login(client, world.usernames[role]).status_code == 302
    with app.test_request_context():
        url = url_for(endpoint, **url_values(world, rule, role))
    method = "GET" if "GET" in rule.methods else "POST"
    before = audit_count(app)

    response = client.open(url, method=method, data={} if method == "POST" else None)
    response.close()

    got = outcome(response)
    if expected == LOGOUT:
        assert got == LOGIN, f"{method} {url} as {role}: {response.status_code}"
        assert outcome(client.get("/")) == LOGIN  # the session is over
        return
    assert got == expected, (
        f"{method} {url} as {role}: {response.status_code} {response.headers.get('Location')}"
    )
    if expected == TOKEN:
        assert response.mimetype == "application/problem+json"
    if method == "POST" and expected in REFUSED:
        assert audit_count(app) == before, f"a refused POST {url} as {role} wrote an audit entry"
