"""tracker's Alembic migrations (shipped as the package ``tracker.migrations``)."""
