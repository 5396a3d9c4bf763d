"""The sync itself: Airflow operators, windows and watermarks, and the conversation flows (events, listing,
backfill, the queue's consumers); plan.py says which resources each DAG syncs.

May import everything below it (hooks, warehouse, resources, ops, config); nothing imports sync but the DAGs.
"""
