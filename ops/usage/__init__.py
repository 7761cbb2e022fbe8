"""Daily usage figures: CSV/API/CLI import, the usage pages and the usage model."""
