"""Updates through the API at once, against gunicorn (several workers): with one If-Match, exactly one
wins and the others get 412; partial updates of different fields keep each other's change."""

import json

from ops.auth.tokens import create_token
from ops.clients.models import Client
from tests.factories import make_client
from tests.live import parallel


def _token(db) -> str:
    _token, secret = create_token("CRM 同步", None, scopes=["read", "clients:write"])
    db.session.commit()
    return secret


def test_parallel_updates_with_one_if_match_let_one_through(db, live_server):
    client_id = make_client(db, name="并发客户", shops=[]).id
    secret = _token(db)
    first = live_server.client()
    auth = {"Authorization": f"Bearer {secret}"}
    etag = first.request("GET", f"/api/v1/clients/{client_id}", None, auth).headers["ETag"]
    clients = [live_server.client() for _ in range(6)]

    def update(i):
        body = json.dumps({"notes": f"第 {i} 次修改"}).encode()
        headers = auth | {"Content-Type": "application/json", "If-Match": etag}
        return clients[i].request("PATCH", f"/api/v1/clients/{client_id}", body, headers).status

    statuses = parallel(6, update)
    assert sorted(statuses) == [200, 412, 412, 412, 412, 412], statuses


def test_parallel_partial_updates_of_different_fields_keep_both(db, live_server):
    client_id = make_client(db, name="并发客户", shops=[]).id
    secret = _token(db)
    fields = {0: {"notes": "备注已更新"}, 1: {"category": "母婴"}, 2: {"phone": "0571-8888 0000"}}
    clients = [live_server.client() for _ in fields]

    def update(i):
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        body = json.dumps(fields[i]).encode()
        return clients[i].request("PATCH", f"/api/v1/clients/{client_id}", body, headers).status

    assert parallel(len(fields), update) == [200, 200, 200]
    db.session.expire_all()
    client = db.session.get(Client, client_id)
    assert (client.notes, client.category, client.phone) == ("备注已更新", "母婴", "0571-8888 0000")
