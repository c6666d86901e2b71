"""The operator console: server-rendered pages at ``/console`` beside the webhooks (``app.py`` builds them)."""
