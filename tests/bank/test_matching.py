"""The pure matcher: rules in order, tolerant invoice numbers, names, never ambiguous."""

from datetime import date

from ops.bank.engine.matching import (
    REASON_OVER,
    REASON_PARTIAL,
    REASON_SAME_AMOUNT,
    REASON_SAME_AMOUNT_TWICE,
    REASON_SIMILAR_NAME,
    RULE_ACCOUNT_AMOUNT,
    RULE_INVOICE_NUMBER,
    RULE_NAME_AMOUNT,
    OpenInvoice,
    Part,
    Payer,
    Transfer,
    apply_to_balances,
    invoice_numbers,
    match_transfer,
    normalise_name,
)

A, B = 1, 2
INVOICES = [
    OpenInvoice(11, "INV-2026-00011", A, 100_000, date(2026, 8, 5)),
    OpenInvoice(12, "INV-2026-00012", A, 250_000, date(2026, 9, 5)),
    OpenInvoice(21, "INV-2026-00021", B, 250_000, date(2026, 9, 5)),
]
PAYERS = [
    Payer(A, ("晨光家居旗舰店", "北京晨光家居用品有限公司"), ("6222000011112222",)),
    Payer(B, ("星河电商旗舰店", "上海星河电子商务有限公司")),
]


def transfer(amount_fen, name="", account="", reference=""):
    return Transfer(amount_fen, name, account, reference)


def test_invoice_numbers_in_tolerant_forms():
    for text in (
        "INV-2026-00012",
        "inv-2026-00012",
        "INV202600012",
        "INV2026 00012",
        "ＩＮＶ－２０２６－０００１２",
        "付inv2026-00012服务费",
    ):
        assert invoice_numbers(text) == ["INV-2026-00012"], text
    assert invoice_numbers("INV-2026-00012/INV2026 00011 INV-2026-00012") == [
        "INV-2026-00012",
        "INV-2026-00011",
    ]
    assert invoice_numbers("INV-2026-000123") == []  # six digits: not one of ours
    assert invoice_numbers("9月服务费 2026-00012") == []


def test_names_normalised():
    same = {
        normalise_name("北京晨光家居用品有限公司"),
        normalise_name("北京晨光家居用品有限责任公司"),
        normalise_name("北京 晨光家居用品 有限公司"),
        normalise_name("北京晨光家居用品（有限公司）"),
    }
    assert same == {"北京晨光家居用品"}
    assert normalise_name("杭州青禾（集团）有限公司") == normalise_name("杭州青禾(集团)有限公司")


def test_rule_1_number_full_partial_over_and_grouped():
    full = match_transfer(transfer(250_000, reference="INV-2026-00012"), INVOICES, PAYERS)
    assert (full.rule, full.client_id, full.parts, full.credit_fen) == (
        RULE_INVOICE_NUMBER,
        A,
        (Part(12, 250_000),),
        0,
    )
    partial = match_transfer(transfer(40_000, reference="inv202600012 部分"), INVOICES, PAYERS)
    assert (partial.parts, partial.credit_fen) == ((Part(12, 40_000),), 0)
    # ¥3,000.00 for the ¥2,500.00 invoice: ¥500.00 to the client's credit.
    over = match_transfer(transfer(300_000, reference="INV-2026-00012"), INVOICES, PAYERS)
    assert (over.parts, over.credit_fen) == ((Part(12, 250_000),), 50_000)
    # Two numbers, written newest first: paid oldest first; ¥2,000.00 = ¥1,000.00 + ¥1,000.00 of ¥2,500.00.
    grouped = match_transfer(transfer(200_000, reference="INV-2026-00012、INV-2026-00011"), INVOICES, PAYERS)
    assert grouped.parts == (Part(11, 100_000), Part(12, 100_000))


def test_rule_1_numbers_of_two_clients_or_not_open_are_unmatched():
    two = match_transfer(transfer(350_000, reference="INV-2026-00011 INV-2026-00021"), INVOICES, PAYERS)
    assert not two.matched and {s.client_id for s in two.suggestions} == {A, B}
    settled = match_transfer(
        transfer(100_000, account="6222000011112222", reference="INV-2026-00099"), INVOICES, PAYERS
    )
    assert not settled.matched  # the number wins over the account: finance decides


def test_rule_2_known_account_or_name_and_exact_amount():
    by_account = match_transfer(transfer(100_000, account="6222 0000 1111 2222"), INVOICES, PAYERS)
    assert (by_account.rule, by_account.parts) == (RULE_ACCOUNT_AMOUNT, (Part(11, 100_000),))
    by_name = match_transfer(transfer(250_000, name="上海星河电子商务有限责任公司"), INVOICES, PAYERS)
    assert (by_name.rule, by_name.client_id, by_name.parts) == (RULE_NAME_AMOUNT, B, (Part(21, 250_000),))
    # ¥3,500.00 = all of A's open invoices (¥1,000.00 + ¥2,500.00).
    everything = match_transfer(transfer(350_000, name="北京晨光家居用品有限公司"), INVOICES, PAYERS)
    assert everything.parts == (Part(11, 100_000), Part(12, 250_000))


def test_rule_2_never_ambiguous():
    twins = [*INVOICES, OpenInvoice(13, "INV-2026-00013", A, 250_000, date(2026, 10, 5))]
    result = match_transfer(transfer(250_000, account="6222000011112222"), twins, PAYERS)
    assert not result.matched
    assert {(s.invoice_id, s.reason) for s in result.suggestions} >= {
        (12, REASON_SAME_AMOUNT_TWICE),
        (13, REASON_SAME_AMOUNT_TWICE),
    }
    same_name = [*PAYERS, Payer(3, ("北京晨光家居用品有限公司",))]
    assert not match_transfer(transfer(100_000, name="北京晨光家居用品有限公司"), INVOICES, same_name).matched


def test_rule_3_suggestions():
    partial = match_transfer(transfer(50_000, account="6222000011112222"), INVOICES, PAYERS)
    assert not partial.matched and partial.suggestions[0].reason == REASON_PARTIAL
    over = match_transfer(transfer(900_000, account="6222000011112222"), INVOICES, PAYERS)
    assert over.suggestions[0].reason == REASON_OVER
    unknown = match_transfer(transfer(250_000, name="某公司"), INVOICES, PAYERS)
    assert not unknown.matched
    assert {(s.client_id, s.invoice_id, s.reason) for s in unknown.suggestions} == {
        (A, 12, REASON_SAME_AMOUNT),
        (B, 21, REASON_SAME_AMOUNT),
    }
    similar = match_transfer(transfer(123_400, name="上海星河电商"), INVOICES, PAYERS)
    assert [(s.client_id, s.invoice_id, s.reason) for s in similar.suggestions] == [
        (B, 21, REASON_SIMILAR_NAME)
    ]
    assert match_transfer(transfer(1, name="个人"), INVOICES, PAYERS).suggestions == ()


def test_balances_follow_matches():
    result = match_transfer(transfer(100_000, reference="INV-2026-00011"), INVOICES, PAYERS)
    left = apply_to_balances(result, INVOICES)
    assert [i.id for i in left] == [12, 21]  # ¥1,000.00 paid: INV-2026-00011 closed
