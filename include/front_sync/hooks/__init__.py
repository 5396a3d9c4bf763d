"""Airflow hooks of front-sync."""
