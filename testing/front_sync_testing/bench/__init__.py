"""What the benchmarks in bench/ share: the DAG benchmarks' stack (harness.py) and the machine description."""
