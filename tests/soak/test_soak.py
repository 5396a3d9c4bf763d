"""The short soak (about 5 minutes): Airflow's real scheduler, LocalExecutor and PostgreSQL, against the simulator
under a stream of mutations, with an outage, a 429 storm, a killed task, a PostgreSQL restart mid-load, an
`airflow backfill create`, an on-demand run during a backfill, a watermark set back, a replay and a re-listing
while conversations are bumped; no row may be older than Front at any checkpoint during the run (issue 19 "Prove
it"), none may be resurrected, drift must converge by the end, and every table must equal the ground truth.

It runs scripts/soak.py --variant short in a subprocess (its own Airflow home, databases and ports; nothing is
left behind). `make soak` runs the full variant (under 15 minutes). SOAK_SKIP=1 skips this test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The harness ends in about 540 s on an idle machine, later under load (its quiet period keeps 420 s plus the
# freeze whatever set-up took); this limit only guards against a hung harness.
LIMIT_SECONDS = 900


@pytest.mark.soak
@pytest.mark.integration
@pytest.mark.timeout(LIMIT_SECONDS + 120)
@pytest.mark.skipif(os.environ.get("SOAK_SKIP") == "1", reason="SOAK_SKIP=1")
def test_short_soak_ends_equal_to_the_ground_truth(tmp_path):
    summary_path = tmp_path / "soak.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FRONT_SYNC_"))}
    python = ROOT / ".venv" / "bin" / "python"
    proc = subprocess.Popen(
        [
            str(python if python.exists() else sys.executable),
            str(ROOT / "scripts" / "soak.py"),
            "--variant",
            "short",
            "--summary-json",
            str(summary_path),
        ],
        cwd=str(ROOT),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = proc.communicate(timeout=LIMIT_SECONDS)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # the harness cleans up (processes, PostgreSQL, temp folder) on SIGTERM
        try:
            output, _ = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        pytest.fail(f"the soak harness did not finish within {LIMIT_SECONDS} s:\n{output[-4000:]}")
    human = output[output.rfind("== soak") :] if "== soak" in output else output[-4000:]
    assert summary_path.exists(), f"no summary written (exit {proc.returncode}):\n{output[-4000:]}"
    summary = json.loads(summary_path.read_text())
    assert "error" not in summary, human
    assert summary["mismatches"] == 0, human
    assert summary["checks"] == {k: True for k in summary["checks"]}, human
    assert summary["rows_compared"] > 0
    assert summary["checkpoint_comparisons"]["count"] > 0, human  # compared during the run, not only at the end
    assert proc.returncode == 0, human
