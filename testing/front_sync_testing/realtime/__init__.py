"""The real-time benchmark's harness (bench/bench_realtime.py, issue 21 "Measure"): the stack under the real
scheduler with the webhook receiver and the triggerer (stack.py), the mutation schedule (plan.py), the phases
(phases.py, faults.py) and the pure figures and targets (figures.py)."""
