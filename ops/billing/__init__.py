"""Billing: usage, the billing engine, invoices, payments, credit notes, API tokens."""
