"""make soak: the soak test under Airflow's real scheduler (see front_sync_testing/soak/harness.py).

    .venv/bin/python scripts/soak.py [--variant full|short] [--seed N] [--summary-json FILE] [--keep-logs DIR]

Exit code 0 when every table equals the simulator's ground truth and the bookkeeping checks hold, 1 otherwise.
"""

from __future__ import annotations

from front_sync_testing.soak.harness import main

if __name__ == "__main__":
    raise SystemExit(main())
