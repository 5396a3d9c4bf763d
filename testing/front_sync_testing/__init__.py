"""front-sync's test harnesses, importable by tests/, scripts/ and bench/ (installed editable by `make venv`)."""

from pathlib import Path

# The repository this package is checked out in: harnesses start its scripts and load its DAGs and pools.
ROOT = Path(__file__).resolve().parents[2]
