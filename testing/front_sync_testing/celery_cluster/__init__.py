"""The native Celery topology under test (scripts/celery_check.py, `make test-celery*`; harness.py says how)."""
