"""``python -m tracker`` runs the CLI."""

from tracker.cli.app import app

if __name__ == "__main__":
    app()
