"""FrontHook and its parts: settings from the connection, the error-policy table, the rate budget, the circuit
breaker, metrics, and the URL rules (where the token may go).

May import only front_sync.config.
"""
