from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ops.dbtypes import compare_migration_type


def test_migrations_produce_exactly_the_models_schema(app, db):
    """The test database was built by running every migration; it must equal the models."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": compare_migration_type, "compare_server_default": False}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []
