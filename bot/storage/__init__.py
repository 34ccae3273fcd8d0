"""Storage: SQLAlchemy 2 typed models, the one session factory, and migrations glue."""
