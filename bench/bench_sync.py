"""Benchmark: the speed of a real full sync (dag.test of front_sync_full) against the unthrottled simulator.

Reports the task seconds of sync_contacts for `--contacts` contacts (from its sync_logs row), cross-checked with
the simulator's request count. What the incremental, nightly and backfill runs cost in API calls is
bench/bench_quota.py's. Writes bench/results/bench_sync.json and prints a table.

    .venv/bin/python bench/bench_sync.py [--contacts 10000] [--conversations 200]
"""

from __future__ import annotations

import argparse

from front_sync_testing.bench import harness  # noqa: I001 - sets Airflow's environment before airflow is imported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--conversations", type=int, default=200)
    args = parser.parse_args()
    with harness.stack({"contacts": args.contacts, "conversations": args.conversations}) as s:
        assert s.dags["front_sync_full"].test().state == "success"
        full = {r["resource"]: r for r in harness.run_rows(s.warehouse_url, "front_sync_full")}
        served = s.control.stats()["endpoints"]["/contacts"]["calls"]
    contacts = full["contacts"]
    figures = {
        "full_contacts_task_seconds": round(contacts["seconds"], 3),
        "full_contacts_fetched": contacts["fetched"],
        "full_contacts_api_calls": contacts["api_calls"],
        "full_contacts_api_calls_served_by_simulator": served,
        "targets": {"full_contacts_task_seconds": "< 3"},
    }
    path = harness.write_report("bench_sync", vars(args), figures)
    for key in (
        "full_contacts_task_seconds",
        "full_contacts_fetched",
        "full_contacts_api_calls",
        "full_contacts_api_calls_served_by_simulator",
    ):
        print(f"{key:45} {figures[key]}")
    print(f"results: {path.relative_to(harness.ROOT)}")


if __name__ == "__main__":
    main()
