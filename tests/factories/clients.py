"""Clients and their needs."""

from ops.clients.models import Client, ClientShop, Needs
from ops.demo.clients import SAMPLE_NEEDS

# Valid 统一社会信用代码 (check digits verified by ops.clients.taxid in its own tests).
TAX_IDS = ("91350100M000100Y43", "91110108551385082Q", "91330106MA2B2QXY3M", "91440300MA5F8JHX68")


def make_client(db, name: str = "北京晨光家居旗舰店", **fields) -> Client:
    shops = fields.pop("shops", [("tmall", name)])
    client = Client(
        name=name,
        legal_name=fields.pop("legal_name", "北京晨光家居用品有限公司"),
        category=fields.pop("category", "家居家纺"),
        stage=fields.pop("stage", "lead"),
        **fields,
    )
    for platform, shop_name in shops:
        client.shops.append(ClientShop(platform=platform, shop_name=shop_name))
    db.session.add(client)
    db.session.commit()
    return client


def make_needs(db, client: Client, **fields) -> Needs:
    """The demo's sample Tmall presales brief (800 consults a day, day shift), with a ¥250.00 order
    value and complexity 3, which the tests' hand arithmetic assumes; ``fields`` override."""
    values = dict(
        SAMPLE_NEEDS,
        shifts=list(SAMPLE_NEEDS["shifts"]),
        avg_order_value_fen=25_000,
        category=client.category or "家居家纺",
        complexity=3,
    )
    values.update(fields)
    version = 1 + max((n.version for n in db.session.query(Needs).filter_by(client_id=client.id)), default=0)
    needs = Needs(client_id=client.id, version=version, **values)
    db.session.add(needs)
    db.session.commit()
    return needs
