"""What happens: the Celery app and its tasks. ``celery -A worker worker`` finds ``app`` here."""

from __future__ import annotations

from worker import tasks as tasks
from worker.celery_app import app as app
