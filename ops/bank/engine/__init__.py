"""The pure core of bank statements: reading an export (``statement``) and matching (``matching``)."""
