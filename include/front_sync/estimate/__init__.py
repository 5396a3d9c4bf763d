"""The dry run: sample a Front account with a few read-only calls, check the token's scopes, and estimate what the
initial load and a typical hourly run will cost in API calls and wall time (``front-sync estimate``, the backfill
DAG's ``dry_run`` param).

Sits on top like ``sync`` (it reuses the event reading of ``sync.events``); nothing imports it but the DAGs and
the console script.
"""
