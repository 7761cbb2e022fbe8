"""Issued invoices built line by line (amounts worked out by hand in each test), for the fapiao tests."""

from datetime import date

from ops.billing.models import Invoice, InvoiceLine
from tests.billing.helpers import make_billing_client, make_contract

_n = {"n": 0}


def issued_invoice(db, lines, *, client=None, include_tax=True, rate_bp=600, **totals) -> Invoice:
    """An issued invoice of 2026-09 with ``lines`` ((kind, quantity, unit, unit price or None, amount))
    and the ``totals`` (subtotal_fen, deductions_fen, adjustments_fen, deposit_offset_fen, net_fen,
    tax_fen, total_fen) the test worked out."""
    client = client or make_billing_client(db)
    contract = make_contract(db, client, seats=1)
    _n["n"] += 1
    invoice = Invoice(
        contract_id=contract.id,
        client_id=client.id,
        period="2026-09",
        period_start=date(2026, 9, 1),
        period_end=date(2026, 9, 30),
        number=f"INV-2026-9{_n['n']:04d}",
        status="issued",
        issued_on=date(2026, 10, 1),
        due_on=date(2026, 10, 5),
        tax_rate_bp=rate_bp,
        prices_include_tax=include_tax,
        **totals,
    )
    for i, (kind, quantity, unit, price, amount) in enumerate(lines):
        invoice.lines.append(
            InvoiceLine(
                position=i,
                kind=kind,
                description=f"{kind} {i}",
                quantity=quantity,
                unit=unit,
                unit_price_fen=price,
                amount_fen=amount,
            )
        )
    db.session.add(invoice)
    db.session.commit()
    return invoice


def inclusive_with_kpi_and_deposit(db, client=None) -> Invoice:
    """6 % VAT included. Seat A 1 月 × ¥6,000.00; seat B prorated ¥4,000.00 (20 天, no unit price);
    commission ¥1,234.57; KPI deduction −¥500.00; deposit offset −¥3,000.00.

    service 600,000 + 400,000 + 123,457 = 1,123,457; taxable = 1,123,457 − 50,000 = 1,073,457;
    tax = 1,073,457 × 6 / 106 = 60,761.72 → 60,762; net = 1,073,457 − 60,762 = 1,012,695;
    total = 1,073,457 − 300,000 = 773,457.
    """
    return issued_invoice(
        db,
        [
            ("seat", "1", "月", 600_000, 600_000),
            ("seat", "20", "天", None, 400_000),
            ("commission", "1", "项", None, 123_457),
            ("kpi", "1", "项", None, -50_000),
            ("deposit", "1", "项", None, -300_000),
        ],
        client=client,
        subtotal_fen=1_123_457,
        deductions_fen=-50_000,
        adjustments_fen=0,
        deposit_offset_fen=-300_000,
        net_fen=1_012_695,
        tax_fen=60_762,
        total_fen=773_457,
    )


def exclusive_invoice(db, client=None) -> Invoice:
    """6 % VAT on top. 2 月 × ¥5,000.00 seats = ¥10,000.00; late fee ¥255.00; adjustment +¥123.45.

    taxable = 1,000,000 + 25,500 + 12,345 = 1,037,845; tax = 1,037,845 × 6 % = 62,270.70 → 62,271;
    total = 1,037,845 + 62,271 = 1,100,116.
    """
    return issued_invoice(
        db,
        [
            ("seat", "2", "月", 500_000, 1_000_000),
            ("late_fee", "1", "项", None, 25_500),
            ("adjustment", "1", "项", None, 12_345),
        ],
        client=client,
        include_tax=False,
        subtotal_fen=1_025_500,
        deductions_fen=0,
        adjustments_fen=12_345,
        deposit_offset_fen=0,
        net_fen=1_037_845,
        tax_fen=62_271,
        total_fen=1_100_116,
    )
