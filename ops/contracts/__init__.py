"""Contracts: frozen terms from an accepted quote, deposits, KPI clauses, breach clauses, signed copies."""
