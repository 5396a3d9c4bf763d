"""Warehouse and loader tests on a real PostgreSQL (one fresh database per test)."""
