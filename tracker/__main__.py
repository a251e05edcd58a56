"""``python -m tracker`` runs the CLI."""

from tracker.cli import app

app()
