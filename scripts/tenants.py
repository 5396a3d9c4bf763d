"""The tenant list at deploy time: `pools` writes the tenants' pools for `airflow pools import`; `check` looks up
every tenant's connections and refuses a list where two tenants would share a warehouse database or a rate budget.

DAG parsing only checks the list's shape (no connection lookup at parse time); run `check` when deploying.
Usage: FRONT_SYNC_TENANTS=tenants.json python scripts/tenants.py pools > tenant_pools.json
       FRONT_SYNC_TENANTS=tenants.json python scripts/tenants.py check
"""

from __future__ import annotations

import argparse
import json
import sys


def pools() -> dict:
    """The pools of the tenants of FRONT_SYNC_TENANTS (the default tenant's is front_api, in pools.json)."""
    from front_sync.config import tenant_pools, tenants

    return tenant_pools(tenants())


def check() -> list[str]:
    """What is wrong with the tenants' connections (empty: nothing); prints each tenant's budget and target."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowException

    from front_sync.config import tenants
    from front_sync.hooks.settings import HookSettings

    problems, warehouses, budgets = [], {}, {}
    for tenant in tenants():
        label = tenant.name or "(default)"
        try:
            front = HookSettings.from_connection(BaseHook.get_connection(tenant.front_conn_id), tenant.front_conn_id)
            warehouse = BaseHook.get_connection(tenant.warehouse_conn_id)
        except AirflowException as exc:  # a missing connection, no token, a bad extra: report every tenant's
            problems.append(f"{label}: {type(exc).__name__}: {exc}")
            continue
        target = (warehouse.host, warehouse.port, warehouse.schema)
        for seen, key, what in ((warehouses, target, "warehouse database"), (budgets, front.budget_key, "budget key")):
            if key in seen:
                problems.append(f"{label}: same {what} as tenant {seen[key]}: tenants never share one")
            seen[key] = label
        print(
            f"{label}: Front {front.base_url} budget {front.requests_per_minute:g} req/min "
            f"(rpm {front.rpm:g} x share {front.share:g}), warehouse {target[0]}:{target[1]}/{target[2]}, "
            f"pool {tenant.pool}"
        )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("pools", "check"))
    args = parser.parse_args(argv)
    if args.command == "pools":
        print(json.dumps(pools(), indent=2))
        return 0
    problems = check()
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
