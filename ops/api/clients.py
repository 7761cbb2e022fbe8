"""/api/v1/clients: clients, their contacts and needs (read), created and updated (clients:write).

A client-scoped token sees its own client only, and may not hold clients:write (ops.auth.scopes).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ops.api.core import (
    ClientFilterArgs,
    UpdatedSinceArgs,
    api_actor,
    api_blueprint,
    check_if_match,
    get_scoped,
    link_to,
    page_of,
    page_schema,
    requires,
    scoped,
    single,
    token,
    write,
)
from ops.api.schemas import (
    ClientCreateSchema,
    ClientSchema,
    ClientWriteSchema,
    ContactCreateSchema,
    ContactSchema,
    ContactWriteSchema,
    NeedsSchema,
)
from ops.auth.scopes import CLIENTS_WRITE, READ
from ops.clients import services
from ops.clients.models import Client, ClientContact, Needs

blp = api_blueprint("clients", "客户、联系人与需求")


class ClientListArgs(UpdatedSinceArgs):
    pass


@blp.route("/clients", methods=["GET"])
@requires(READ)
@blp.arguments(ClientListArgs, location="query")
@blp.response(200, page_schema(ClientSchema))
def list_clients(args):
    """客户列表（按 id 排序，支持 updated_since）"""
    stmt = scoped(sa.select(Client).options(selectinload(Client.contacts)), Client.id)
    return page_of(stmt, Client, args, updated_column=Client.updated_at)


@blp.route("/clients/<int:client_id>", methods=["GET"])
@requires(READ)
@blp.response(200, ClientSchema)
@blp.alt_response(304, description="未修改（If-None-Match 与 ETag 相同）")
def get_client(client_id):
    """单个客户（含联系人），带 ETag"""
    return single(get_scoped(Client, client_id, Client.id), ClientSchema())


def _client_data(client: Client) -> dict:
    return {field: getattr(client, field) for field in services.CLIENT_FIELDS}


@blp.route("/clients", methods=["POST"])
@requires(CLIENTS_WRITE)
@blp.arguments(ClientCreateSchema)
@blp.response(201, ClientSchema)
@blp.doc(
    responses={
        201: {
            "links": {
                "GetClient": link_to("/api/v1/clients/{client_id}", client_id="$response.body#/id"),
                "UpdateClient": link_to(
                    "/api/v1/clients/{client_id}", "patch", client_id="$response.body#/id"
                ),
                "AddContact": link_to(
                    "/api/v1/clients/{client_id}/contacts", "post", client_id="$response.body#/id"
                ),
            }
        }
    }
)
def create_client(data):
    """新建客户（阶段：潜在客户）"""
    return write(
        lambda: services.create_client(data, by=api_actor(token())),
        lambda client: single(client, ClientSchema(), 201),
    )


@blp.route("/clients/<int:client_id>", methods=["PATCH"])
@requires(CLIENTS_WRITE)
@blp.arguments(ClientWriteSchema)
@blp.response(200, ClientSchema)
@blp.alt_response(412, description="If-Match 与当前 ETag 不符：对象已被修改")
def update_client(data, client_id):
    """修改客户（只发送要改的字段；可带 If-Match）"""
    client = get_scoped(Client, client_id, Client.id)
    check_if_match(client, ClientSchema())
    return write(
        lambda: services.update_client(client, _client_data(client) | data, by=api_actor(token())),
        lambda _none: single(client, ClientSchema()),
    )


@blp.route("/contacts", methods=["GET"])
@requires(READ)
@blp.arguments(ClientFilterArgs, location="query")
@blp.response(200, page_schema(ContactSchema))
def list_contacts(args):
    """联系人列表（可按 client_id 筛选）"""
    stmt = scoped(sa.select(ClientContact), ClientContact.client_id)
    if args.get("client_id"):
        stmt = stmt.where(ClientContact.client_id == args["client_id"])
    return page_of(stmt, ClientContact, args)


@blp.route("/clients/<int:client_id>/contacts", methods=["POST"])
@requires(CLIENTS_WRITE)
@blp.arguments(ContactCreateSchema)
@blp.response(201, ContactSchema)
@blp.doc(
    responses={
        201: {
            "links": {
                "GetContact": link_to("/api/v1/contacts/{contact_id}", contact_id="$response.body#/id"),
                "UpdateContact": link_to(
                    "/api/v1/contacts/{contact_id}", "patch", contact_id="$response.body#/id"
                ),
            }
        }
    }
)
def create_contact(data, client_id):
    """为客户添加联系人（第一位联系人自动成为主要联系人）"""
    client = get_scoped(Client, client_id, Client.id)
    return write(
        lambda: services.add_contact(client, data, by=api_actor(token())),
        lambda contact: single(contact, ContactSchema(), 201),
    )


@blp.route("/contacts/<int:contact_id>", methods=["GET"])
@requires(READ)
@blp.response(200, ContactSchema)
@blp.alt_response(304, description="未修改")
def get_contact(contact_id):
    """单个联系人，带 ETag"""
    return single(get_scoped(ClientContact, contact_id), ContactSchema())


@blp.route("/contacts/<int:contact_id>", methods=["PATCH"])
@requires(CLIENTS_WRITE)
@blp.arguments(ContactWriteSchema)
@blp.response(200, ContactSchema)
@blp.alt_response(412, description="If-Match 与当前 ETag 不符")
def update_contact(data, contact_id):
    """修改联系人（只发送要改的字段；可带 If-Match）"""
    contact = get_scoped(ClientContact, contact_id)
    check_if_match(contact, ContactSchema())
    current = {field: getattr(contact, field) for field in services.CONTACT_FIELDS}
    return write(
        lambda: services.update_contact(contact, current | data, by=api_actor(token())),
        lambda _none: single(contact, ContactSchema()),
    )


@blp.route("/needs", methods=["GET"])
@requires(READ)
@blp.arguments(ClientFilterArgs, location="query")
@blp.response(200, page_schema(NeedsSchema))
def list_needs(args):
    """需求（每次修改一个版本；可按 client_id 筛选）"""
    stmt = scoped(sa.select(Needs), Needs.client_id)
    if args.get("client_id"):
        stmt = stmt.where(Needs.client_id == args["client_id"])
    return page_of(stmt, Needs, args)
