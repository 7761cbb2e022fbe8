"""Bank statements (银行流水): import a bank's CSV export, match incoming transfers to open invoices.

``engine`` is pure (decoding, column mappings, matching rules); ``services`` keeps the rows and
records payments through ``ops.billing.services.record_payment``; ``views`` are finance's pages under
``/billing/bank``. See docs/bank.md.
"""
