"""The web tests share the security tests' world (the demo data set plus one object of every type)."""

from tests.security.conftest import _clean_tables, world  # noqa: F401  (fixtures, registered by import)
