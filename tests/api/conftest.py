"""The API tests' world: the security tests' world (demo data, clients A and B with an object of every
type) loaded once per module, plus one token per kind the scope matrix names."""

from dataclasses import dataclass

import pytest

from ops.auth.tokens import create_token, revoke_token
from ops.extensions import db
from tests.security.world import World, build_world, wipe_tables

STAFF_KINDS = ("read", "usage:write", "clients:write", "billing:write")


@dataclass
class ApiWorld:
    world: World
    secrets: dict[str, str]  # token kind -> secret

    def headers(self, kind: str | None, **extra) -> dict:
        headers = {"Authorization": f"Bearer {self.secrets[kind]}"} if kind else {}
        return headers | extra


@pytest.fixture(autouse=True)
def _clean_tables(request):
    yield
    if "app" not in request.fixturenames or "api_world" in request.fixturenames:
        return
    wipe_tables(request.getfixturevalue("app"))


def make_tokens(client_a_id: int) -> dict[str, str]:
    """Staff tokens holding one scope each, one holding all, a revoked one, and client A's own."""
    secrets = {}
    for scope in STAFF_KINDS:
        secrets[scope] = create_token(f"测试 {scope}", None, scopes=[scope])[1]
    secrets["all"] = create_token("测试 全部", None, scopes=list(STAFF_KINDS))[1]
    token, secrets["revoked"] = create_token("测试 已吊销", None, scopes=list(STAFF_KINDS))
    revoke_token(token)
    secrets["client"] = create_token("测试 客户A", client_a_id, scopes=["read", "usage:write"])[1]
    db.session.commit()
    return secrets


@pytest.fixture(scope="module")
def api_world(app):
    wipe_tables(app)
    with app.app_context():
        world = build_world()
        secrets = make_tokens(world.a.client_id)
    yield ApiWorld(world, secrets)
    wipe_tables(app)
