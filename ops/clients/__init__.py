"""Clients, their shops and contacts, needs (versioned) and outsourcing plans."""
