"""Users, roles, login and permission helpers."""
