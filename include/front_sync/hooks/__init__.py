"""FrontHook and its parts: the connection's extras (one table) and settings, the error-policy table, the
request loop, pagination, the rate budget, the circuit breaker, metrics, and the URL rules (where the token may
go). FrontHook builds on the http provider's HttpHook for its session and base URL.

May import only front_sync.config (and Airflow with its providers); extras.py imports no Airflow at all.
"""
