"""Demo clients: eight shops on different platforms and categories, in varied stages, with needs and plans.

Everything is created through the services, so the audit log reads like real use. The caller commits.
"""

from datetime import timedelta

from ops.clients import services
from ops.clients.models import Client, PlanItem
from ops.clients.taxid import check_char
from ops.timeutil import today


def tax_id(body: str) -> str:
    """A valid 统一社会信用代码 from its first 17 characters."""
    return body + check_char(body)


# name, legal name, tax-id body, category, stage, owner key, shops, contacts, address, plan start (days ago)
CLIENTS = [
    (
        "晨光家居旗舰店",
        "杭州晨光家居用品有限公司",
        "91330106MA2KXB7R1",
        "家居家纺",
        "live",
        "sales",
        [("tmall", "晨光家居旗舰店", "https://chenguangjiaju.tmall.com"), ("taobao", "晨光家居生活馆", "")],
        [
            ("周晓梅", "电商总监", "13858112301", "zhouxm@chenguang-home.cn", "zxm_cg"),
            ("吴强", "运营", "13858112302", "", ""),
        ],
        "杭州市西湖区文三路 90 号",
        80,
    ),
    (
        "沐颜美妆官方旗舰店",
        "上海沐颜化妆品有限公司",
        "91310115MA1H8C2D4",
        "美妆个护",
        "onboarding",
        "sales",
        [("tmall", "沐颜美妆官方旗舰店", "https://muyan.tmall.com"), ("douyin", "沐颜美妆抖音旗舰店", "")],
        [("林佳", "店长", "13916023451", "linjia@muyan-beauty.cn", "linjia_my")],
        "上海市浦东新区张江路 1238 号",
        20,
    ),
    (
        "果然鲜生鲜直供",
        "广州果然鲜农产品有限公司",
        "91440101MA5CK3LT8",
        "食品生鲜",
        "contracted",
        "sales2",
        [("pdd", "果然鲜水果旗舰店", "")],
        [("黄志伟", "老板", "13602245678", "", "hzw_guoran")],
        "广州市白云区太和镇永兴村 18 号",
        25,
    ),
    (
        "小象母婴专营店",
        "北京小象母婴用品有限公司",
        "91110105MA01GN4P2",
        "母婴玩具",
        "negotiating",
        "sales",
        [("jd", "小象母婴京东专营店", "https://mall.jd.com/index-100023.html")],
        [("刘芳", "电商经理", "13701098765", "liufang@xiaoxiang-baby.cn", "")],
        "北京市朝阳区望京街 9 号",
        10,
    ),
    (
        "极客数码",
        "深圳极客数码科技有限公司",
        "91440300MA5G2RW61",
        "3C数码",
        "lead",
        "sales2",
        [("jd", "极客数码京东自营旗舰店", ""), ("tmall", "极客数码旗舰店", "")],
        [("陈浩", "客服主管", "13510876543", "chenhao@geek-digital.cn", "")],
        "深圳市南山区科技园南区 7 栋",
        None,
    ),
    (
        "山野户外",
        "成都山野户外用品有限公司",
        "91510107MA6CL8N03",
        "运动户外",
        "paused",
        "sales2",
        [("kuaishou", "山野户外快手小店", ""), ("douyin", "山野户外官方店", "")],
        [("王磊", "创始人", "13880012345", "", "wanglei_sy")],
        "成都市武侯区科华北路 65 号",
        60,
    ),
    (
        "锦绣珠宝",
        "深圳锦绣珠宝首饰有限公司",
        "91440303MA5FT9Q27",
        "珠宝配饰",
        "negotiating",
        "sales",
        [("douyin", "锦绣珠宝直播间", "")],
        [("赵雅", "运营总监", "13728765432", "zhaoya@jinxiu-jewelry.cn", "zhaoya_jx")],
        "深圳市罗湖区水贝二路 18 号",
        12,
    ),
    (
        "暖居家电",
        "宁波暖居电器有限公司",
        "91330212MA2H7KD95",
        "家用电器",
        "lead",
        "sales2",
        [("pdd", "暖居家电旗舰店", ""), ("taobao", "暖居小家电", "")],
        [("孙建国", "总经理", "13957412345", "", "")],
        "宁波市鄞州区首南街道日丽中路 757 号",
        2,
    ),
]

# Needs versions per client (the later ones revise the earlier), keyed by client name.
NEEDS = {
    "晨光家居旗舰店": [
        dict(
            platform="tmall",
            scope="presales",
            shifts=["day"],
            avg_daily_consults=800,
            peak_daily_consults=2000,
            peak_hour_share_bp=1200,
            aht_seconds=180,
            concurrency=3,
            sl_target_bp=8000,
            sl_answer_seconds=30,
            avg_order_value_fen=25_900,
            inquiry_conversion_bp=2000,
            category="家居家纺",
            complexity=2,
            sku_count=120,
        ),
        dict(
            platform="tmall",
            scope="both",
            shifts=["day", "evening"],
            avg_daily_consults=1100,
            peak_daily_consults=3200,
            peak_hour_share_bp=1200,
            aht_seconds=180,
            concurrency=3,
            sl_target_bp=8000,
            sl_answer_seconds=30,
            avg_order_value_fen=25_900,
            inquiry_conversion_bp=2000,
            category="家居家纺",
            complexity=2,
            sku_count=150,
            special_requirements="大促期间（618、双11）需临时增加 4 名售前客服。",
        ),
    ],
    "沐颜美妆官方旗舰店": [
        dict(
            platform="tmall",
            scope="presales",
            shifts=["day", "evening"],
            avg_daily_consults=1500,
            peak_daily_consults=5000,
            peak_hour_share_bp=1100,
            aht_seconds=240,
            concurrency=3,
            sl_target_bp=8500,
            sl_answer_seconds=20,
            avg_order_value_fen=18_800,
            inquiry_conversion_bp=2500,
            category="美妆个护",
            complexity=4,
            sku_count=300,
        ),
        dict(
            platform="tmall",
            scope="presales",
            shifts=["day", "evening"],
            avg_daily_consults=1500,
            peak_daily_consults=5000,
            peak_hour_share_bp=1100,
            aht_seconds=240,
            concurrency=3,
            sl_target_bp=8500,
            sl_answer_seconds=20,
            avg_order_value_fen=18_800,
            inquiry_conversion_bp=2500,
            category="美妆个护",
            complexity=4,
            sku_count=300,
            special_requirements="客服需熟悉成分表与敏感肌话术，上岗前通过产品考试。",
        ),
    ],
    "果然鲜生鲜直供": [
        dict(
            platform="pdd",
            scope="aftersales",
            shifts=["day"],
            avg_daily_consults=600,
            peak_daily_consults=1500,
            aht_seconds=150,
            concurrency=4,
            avg_order_value_fen=6_990,
            category="食品生鲜",
            complexity=2,
            sku_count=40,
            special_requirements="仅退款申请须在 48 小时内处理；坏果赔付按店铺标准执行。",
        ),
    ],
    "小象母婴专营店": [
        dict(
            platform="jd",
            scope="presales",
            shifts=["day"],
            avg_daily_consults=300,
            peak_daily_consults=900,
            avg_order_value_fen=32_000,
            inquiry_conversion_bp=1800,
            category="母婴玩具",
            complexity=3,
            sku_count=80,
        ),
        dict(
            platform="jd",
            scope="both",
            shifts=["day"],
            avg_daily_consults=350,
            peak_daily_consults=900,
            avg_order_value_fen=32_000,
            inquiry_conversion_bp=1800,
            category="母婴玩具",
            complexity=3,
            sku_count=80,
        ),
        dict(
            platform="jd",
            scope="both",
            shifts=["day", "evening"],
            avg_daily_consults=420,
            peak_daily_consults=1200,
            peak_hour_share_bp=1300,
            aht_seconds=200,
            concurrency=3,
            sl_target_bp=8000,
            sl_answer_seconds=30,
            avg_order_value_fen=32_000,
            inquiry_conversion_bp=1800,
            category="母婴玩具",
            complexity=3,
            sku_count=95,
        ),
    ],
    "极客数码": [
        dict(
            platform="jd",
            scope="presales",
            shifts=["day", "evening"],
            avg_daily_consults=900,
            avg_order_value_fen=129_900,
            inquiry_conversion_bp=1500,
            category="3C数码",
            complexity=5,
            sku_count=60,
        ),
    ],
    "山野户外": [
        dict(
            platform="kuaishou",
            scope="both",
            shifts=["day", "evening"],
            avg_daily_consults=500,
            peak_daily_consults=2500,
            avg_order_value_fen=45_900,
            inquiry_conversion_bp=1200,
            category="运动户外",
            complexity=3,
            sku_count=200,
        ),
        dict(
            platform="kuaishou",
            scope="both",
            shifts=["evening"],
            avg_daily_consults=350,
            peak_daily_consults=2500,
            avg_order_value_fen=45_900,
            inquiry_conversion_bp=1200,
            category="运动户外",
            complexity=3,
            sku_count=200,
            special_requirements="直播时段（19:00–23:00）咨询集中。",
        ),
    ],
    "锦绣珠宝": [
        dict(
            platform="douyin",
            scope="presales",
            shifts=["evening", "night"],
            avg_daily_consults=400,
            peak_daily_consults=1600,
            peak_hour_share_bp=1800,
            aht_seconds=300,
            concurrency=2,
            sl_target_bp=9000,
            sl_answer_seconds=10,
            avg_order_value_fen=88_800,
            inquiry_conversion_bp=800,
            category="珠宝配饰",
            complexity=4,
            sku_count=500,
        ),
    ],
    "暖居家电": [
        dict(
            platform="pdd",
            scope="aftersales",
            shifts=["day"],
            avg_daily_consults=250,
            avg_order_value_fen=19_900,
            category="家用电器",
            complexity=3,
            sku_count=70,
        ),
    ],
}

# The first needs of the first demo client: the typical Tmall presales brief (tests start from it).
SAMPLE_NEEDS = NEEDS["晨光家居旗舰店"][0]

# Phases whose plan items are ticked done for each stage.
PHASES_DONE = {"lead": 0, "negotiating": 1, "contracted": 3, "onboarding": 3, "live": 5, "paused": 3}


def load_clients_demo(users: dict) -> list[Client]:
    """Create the demo clients; ``users`` maps demo usernames ("sales", "sales2", "manager"...) to users."""
    manager = users.get("manager")
    clients = []
    for (
        name,
        legal_name,
        tax_body,
        category,
        stage,
        owner_key,
        shops,
        contacts,
        address,
        plan_days_ago,
    ) in CLIENTS:
        owner = users.get(owner_key) or users.get("sales")
        first_platform, first_shop, first_url = shops[0]
        client = services.create_client(
            {
                "name": name,
                "legal_name": legal_name,
                "tax_id": tax_id(tax_body),
                "category": category,
                "owner_id": getattr(owner, "id", None),
                "address": address,
                "phone": contacts[0][2],
                # Invoicing details for a 专票 (the demo's contracts agree one when the client has a tax id).
                "bank_name": "招商银行杭州分行",
                "bank_account": f"5719{len(clients) + 1:08d}",
                "fapiao_type": "special",
                "shop_platform": first_platform,
                "shop_name": first_shop,
                "shop_url": first_url,
            },
            by=owner,
        )
        for platform, shop_name, url in shops[1:]:
            services.add_shop(client, platform, shop_name, url, by=owner)
        for contact_name, title, phone, email, wechat in contacts:
            services.add_contact(
                client,
                {"name": contact_name, "title": title, "phone": phone, "email": email, "wechat": wechat},
                by=owner,
            )
        for needs in NEEDS.get(name, []):
            services.record_needs(client, needs, by=owner)
        if plan_days_ago is not None:
            items = services.create_plan_from_template(
                client, by=owner, start_date=today() - timedelta(days=plan_days_ago)
            )
            _tick_done_phases(items, PHASES_DONE[stage], owner)
        target = "onboarding" if stage == "paused" else stage
        services.advance_stage(client, target, reason="演示数据")
        if stage == "paused" and manager is not None:
            services.set_client_stage(client, "paused", "客户店铺调整直播排期，暂停合作一个月。", by=manager)
        clients.append(client)
    return clients


def _tick_done_phases(items: list[PlanItem], phases_done: int, by) -> None:
    for item in items:
        if item.phase <= phases_done:
            services.toggle_plan_item(item, by=by)
