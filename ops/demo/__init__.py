"""The demo data set: realistic Chinese data for every role, made through the services.

Order follows the pipeline: rate cards -> clients, needs and plans -> quotes -> contracts ->
client users -> agents, checklists and training -> usage -> billing runs and invoices.
"""

import sqlalchemy as sa

from ops.auth.roles import CLIENT
from ops.clients import services as client_services
from ops.clients.models import Client
from ops.contracts.models import Contract
from ops.demo.billing import load_billing_demo
from ops.demo.clients import load_clients_demo
from ops.demo.contracts import load_contracts_demo
from ops.demo.onboarding import load_onboarding_demo
from ops.demo.quotes import load_quotes_demo
from ops.demo.staff import DEMO_PASSWORD, STAFF, demo_user
from ops.demo.training import load_training_demo
from ops.demo.usage import load_usage_demo
from ops.extensions import db
from ops.quotes import services as quote_services
from ops.ratecards.services import load_ratecards_demo

__all__ = ["DEMO_PASSWORD", "load_demo"]


def load_demo() -> dict:
    """Create the demo records through the services. The caller commits."""
    summary: dict = {}
    users = {username: demo_user(username, name, role) for username, name, role in STAFF}
    summary["员工账号"] = len(users)
    summary.update(load_ratecards_demo(users["admin"]))

    clients = load_clients_demo(users)
    summary["客户"] = len(clients)
    quotes = load_quotes_demo(_with_needs(clients), users)
    summary["报价单"] = len(quotes)
    contracts = load_contracts_demo(quotes, users)
    summary["合同"] = len(contracts)

    # The client portal's demo user belongs to the client with the longest-running active contract.
    active = sorted((c for c in contracts if c.status == "active"), key=lambda c: c.start_on)
    home = active[0].client if active else clients[0]
    users["client"] = demo_user("client", f"{home.name} 店长", CLIENT, client_id=home.id)
    summary["客户账号"] = 1
    # Something for the client to answer in the portal.
    if _with_needs([home]):
        waiting = quote_services.create_quote(home, "fixed_seat", users["sales"])
        quote_services.send_quote(waiting, users["sales"])
        summary["报价单"] += 1
    db.session.flush()

    agents = load_onboarding_demo(contracts, users)
    summary["客服人员"] = len(agents)
    ordered_clients = [home] + [c for c in clients if c.id != home.id]
    summary.update(load_training_demo(ordered_clients, agents, users) or {})

    summary["用量记录"] = load_usage_demo(_clients_with_billable_contracts())
    db.session.flush()
    summary.update(load_billing_demo(users) or {})
    return summary


def _with_needs(clients):
    return [c for c in clients if client_services.current_needs(c.id) is not None]


def _clients_with_billable_contracts():
    return list(
        db.session.scalars(
            sa.select(Client)
            .where(
                Client.id.in_(
                    sa.select(Contract.client_id).where(
                        Contract.status.in_(("active", "expired", "terminated"))
                    )
                )
            )
            .order_by(Client.id)
        )
    )
