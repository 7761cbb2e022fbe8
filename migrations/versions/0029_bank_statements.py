"""bank statements: formats (column mappings), statements, transactions (one per dedupe key), learned
payer accounts; payments and allocations point to the transaction they came from (a bank transfer's
excess is a credit source beside credit notes)

Revision ID: 0029
Revises: 0025
Create Date: 2026-11-30 20:34:07

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

ONE_SOURCE_SQL = "(credit_note_id IS NULL) <> (bank_transaction_id IS NULL)"


def upgrade():
    op.create_table(
        "bank_formats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("date_column", sa.String(length=40), nullable=False),
        sa.Column("date_format", sa.String(length=30), nullable=False),
        sa.Column("amount_column", sa.String(length=40), nullable=False),
        sa.Column("credit_column", sa.String(length=40), nullable=False),
        sa.Column("debit_column", sa.String(length=40), nullable=False),
        sa.Column("payer_name_column", sa.String(length=40), nullable=False),
        sa.Column("payer_account_column", sa.String(length=40), nullable=False),
        sa.Column("reference_column", sa.String(length=40), nullable=False),
        sa.Column("serial_column", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_bank_formats_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_formats")),
        sa.UniqueConstraint("name", name=op.f("uq_bank_formats_name")),
    )
    op.create_table(
        "bank_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("format_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("encoding", sa.String(length=10), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("incoming_count", sa.Integer(), nullable=False),
        sa.Column("new_count", sa.Integer(), nullable=False),
        sa.Column("outgoing_count", sa.Integer(), nullable=False),
        sa.Column("matched_count", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["format_id"],
            ["bank_formats.id"],
            name=op.f("fk_bank_statements_format_id_bank_formats"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["users.id"],
            name=op.f("fk_bank_statements_imported_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_statements")),
    )
    with op.batch_alter_table("bank_statements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_statements_format_id"), ["format_id"], unique=False)

    op.create_table(
        "bank_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("payer_name", sa.String(length=200), nullable=False),
        sa.Column("payer_account", sa.String(length=60), nullable=False),
        sa.Column("reference", sa.String(length=300), nullable=False),
        sa.Column("serial", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("matched_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("credit_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("credit_allocated_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column("ignore_reason", sa.String(length=200), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("matched_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('unmatched', 'matched', 'partial', 'ignored')",
            name=op.f("ck_bank_transactions_status_known"),
        ),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_bank_transactions_amount_positive")),
        sa.CheckConstraint(
            "credit_fen = 0 OR client_id IS NOT NULL", name=op.f("ck_bank_transactions_credit_has_client")
        ),
        sa.CheckConstraint(
            "matched_fen >= 0 AND credit_fen >= 0 AND matched_fen + credit_fen <= amount_fen AND credit_allocated_fen >= 0 AND credit_allocated_fen <= credit_fen",
            name=op.f("ck_bank_transactions_amounts_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_bank_transactions_client_id_clients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["matched_by_id"],
            ["users.id"],
            name=op.f("fk_bank_transactions_matched_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["bank_statements.id"],
            name=op.f("fk_bank_transactions_statement_id_bank_statements"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_transactions")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_bank_transactions_dedupe_key")),
    )
    with op.batch_alter_table("bank_transactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_transactions_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_transactions_statement_id"), ["statement_id"], unique=False)
        batch_op.create_index("ix_bank_transactions_status_booked", ["status", "booked_on"], unique=False)

    op.create_table(
        "bank_payer_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=60), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("learned_from_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_bank_payer_accounts_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learned_from_id"],
            ["bank_transactions.id"],
            name=op.f("fk_bank_payer_accounts_learned_from_id_bank_transactions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_payer_accounts")),
        sa.UniqueConstraint("account", name=op.f("uq_bank_payer_accounts_account")),
    )
    with op.batch_alter_table("bank_payer_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_payer_accounts_client_id"), ["client_id"], unique=False)

    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bank_transaction_id", sa.Integer(), nullable=True))
        batch_op.alter_column("credit_note_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_allocations_bank_transaction_id"), ["bank_transaction_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_allocations_bank_transaction_id_bank_transactions"),
            "bank_transactions",
            ["bank_transaction_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_check_constraint(op.f("ck_allocations_one_source"), ONE_SOURCE_SQL)

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bank_transaction_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_payments_bank_transaction_id"), ["bank_transaction_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_payments_bank_transaction_id_bank_transactions"),
            "bank_transactions",
            ["bank_transaction_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade():
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_payments_bank_transaction_id_bank_transactions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_payments_bank_transaction_id"))
        batch_op.drop_column("bank_transaction_id")

    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_allocations_one_source"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_allocations_bank_transaction_id_bank_transactions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_allocations_bank_transaction_id"))
        batch_op.alter_column("credit_note_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("bank_transaction_id")

    with op.batch_alter_table("bank_payer_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_payer_accounts_client_id"))

    op.drop_table("bank_payer_accounts")
    with op.batch_alter_table("bank_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_bank_transactions_status_booked")
        batch_op.drop_index(batch_op.f("ix_bank_transactions_statement_id"))
        batch_op.drop_index(batch_op.f("ix_bank_transactions_client_id"))

    op.drop_table("bank_transactions")
    with op.batch_alter_table("bank_statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_statements_format_id"))

    op.drop_table("bank_statements")
    op.drop_table("bank_formats")
