"""The soak test under Airflow's real scheduler (scripts/soak.py, `make soak`; harness.py says what it does)."""
