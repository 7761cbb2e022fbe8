"""Demo quotes: one or more in every state, across the three pricing models, made through the services."""

from datetime import timedelta

from ops.quotes import services
from ops.quotes.models import Quote
from ops.timeutil import today as business_today


def load_quotes_demo(clients: list, users: dict) -> list[Quote]:
    """Quotes for ``clients`` (which must have needs): draft, sent, accepted, rejected, expired,
    superseded with its v2, a big discount awaiting approval and an approved one. The caller commits.

    ``users`` maps demo usernames to users; "sales" and "manager" are used (any staff user will do).
    """
    if not clients:
        return []
    sales = users.get("sales") or next(iter(users.values()))
    manager = users.get("manager") or sales
    client_user = users.get("client")
    today = business_today()

    def client(i):
        return clients[i % len(clients)]

    made: list[Quote] = []

    def new(i, model):
        quote = services.create_quote(client(i), model, sales)
        made.append(quote)
        return quote

    # 1. A draft being prepared (fixed seats, two extra sub-accounts; holiday allowance is per day).
    draft = new(0, "fixed_seat")
    services.update_quote(draft, {"extras": {"extra_subaccount_month": 2}}, 0, 30, "", sales)

    # 2. Sent, awaiting the client's answer (base + commission).
    sent = new(1, "base_commission")
    services.update_quote(sent, {}, 500, 30, "提成按月结算，次月 5 日前对账。", sales)
    services.send_quote(sent, sales)

    # 3. Accepted by the client.
    accepted = new(2, "fixed_seat")
    services.update_quote(accepted, {}, 300, 15, "", sales)
    services.send_quote(accepted, sales, today=today - timedelta(days=5))
    by = client_user if client_user is not None and client_user.client_id == accepted.client_id else sales
    services.accept_quote(accepted, by, "价格合适，请尽快安排签约。")

    # 4. Rejected (per consult).
    rejected = new(3, "per_consult")
    services.send_quote(rejected, sales, today=today - timedelta(days=3))
    services.reject_quote(rejected, sales, "客户认为单价偏高，希望按总量阶梯计价。")

    # 5. Expired: sent 40 days ago with 30 days' validity.
    expired = new(4, "base_commission")
    services.send_quote(expired, sales, today=today - timedelta(days=40))
    expired.sent_at = expired.sent_at - timedelta(days=40)
    services.expire_quotes(today)

    # 6. Superseded: v1 rejected, revised into v2 with a 5 % discount and sent again.
    first = new(5, "per_consult")
    services.send_quote(first, sales, today=today - timedelta(days=10))
    services.reject_quote(first, sales, "希望有一定折扣。")
    second = services.revise_quote(first, sales)
    made.append(second)
    services.update_quote(second, {}, 500, 30, "第二版：给予 5% 折扣。", sales)
    services.send_quote(second, sales)

    # 7. A big discount (15 %) waiting for a manager's approval.
    waiting = new(6, "fixed_seat")
    services.update_quote(waiting, {}, 1_500, 30, "年框客户，申请 15% 折扣。", sales)

    # 8. A 12 % discount approved by the manager, then sent.
    approved = new(7, "fixed_seat")
    services.update_quote(approved, {}, 1_200, 30, "战略客户，经理已批准 12% 折扣。", sales)
    services.approve_discount(approved, manager)
    services.send_quote(approved, sales)
    return made
