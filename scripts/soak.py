"""make soak: the soak test under Airflow's real scheduler (see tests/soak/harness.py).

    .venv/bin/python scripts/soak.py [--variant full|short] [--seed N] [--summary-json FILE] [--keep-logs DIR]

Exit code 0 when every table equals the simulator's ground truth and the bookkeeping checks hold, 1 otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "soak"))
# front_sync and the simulator, should the venv not have them installed (editable installs come first).
sys.path.extend(str(p) for p in (ROOT / "include", ROOT / "simulator") if p.is_dir())

from harness import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
