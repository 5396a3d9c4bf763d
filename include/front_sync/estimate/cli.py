"""``front-sync``: the package's console script. ``front-sync estimate`` samples the account behind a Front
connection and prints what syncing it will cost (see ``front_sync.estimate``); ``front-sync oauth connect``
connects a Front app (OAuth) without a browser on this machine: it prints the authorize URL and reads back the
code (or the whole redirect URL) the admin's browser landed on.

The token comes from the Airflow connection (``--conn-id``) or from an environment variable named by
``--token-env`` (with ``--base-url``, for use without Airflow); never from the command line, and it is never
printed. Exit status: 0, or 2 when the token lacks a scope the sync needs (the report names it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from decimal import Decimal

from front_sync.config import CONFIG_VARIABLE, FRONT_CONN_ID, WAREHOUSE_CONN_ID, SyncConfig
from front_sync.estimate.cost import Estimate, Plan, estimate, render
from front_sync.estimate.sample import SampleLimits, sample_account
from front_sync.hooks.front import FrontHook
from front_sync.sync.front_client import open_front_hook

STANDALONE_CONN_ID = "front_sync_estimate"  # the connection --base-url/--token-env builds for this process only


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="front-sync", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser(
        "estimate",
        help="sample the account; print the calls and time of the initial load "
        "and a typical hourly run; check the token's scopes",
    )
    cmd.add_argument("--conn-id", default=FRONT_CONN_ID, help="the Airflow connection (default %(default)s)")
    cmd.add_argument("--base-url", help="without Airflow: Front's API base URL (e.g. https://api2.frontapp.com)")
    cmd.add_argument("--token-env", help="without Airflow: the environment variable holding the API token")
    cmd.add_argument("--rpm", type=float, help="plan rate limit (default: the connection's rpm extra)")
    cmd.add_argument("--share", type=float, help="share of it for front-sync (default: the connection's share)")
    cmd.add_argument(
        "--activity-hours",
        type=float,
        default=SampleLimits.activity_hours,
        help="recent span a typical hour is averaged over (default %(default)s)",
    )
    cmd.add_argument(
        "--sync-config",
        help="front_sync.config as JSON (default: the Airflow Variable with "
        "--conn-id, Front-sync's defaults with --base-url)",
    )
    oauth = commands.add_parser("oauth", help="OAuth for Front apps: connect Front, show the connection's state")
    oauth_commands = oauth.add_subparsers(dest="oauth_command", required=True)
    for name, text in (
        (
            "connect",
            "print Front's authorize URL, then read the code an admin's approval returns "
            "and store the tokens (encrypted) in the warehouse",
        ),
        ("status", "show each OAuth connection's state (never the tokens)"),
    ):
        sub = oauth_commands.add_parser(name, help=text)
        sub.add_argument("--conn-id", default=FRONT_CONN_ID, help="the Airflow connection (default %(default)s)")
        sub.add_argument(
            "--warehouse-conn-id",
            default=WAREHOUSE_CONN_ID,
            help="where the tokens live unless the connection's warehouse_conn_id extra says (default %(default)s)",
        )
    return parser


def _standalone_connection(base_url: str, token_env: str) -> str:
    """Expose --base-url and the token variable as an Airflow connection of this process only (env-defined)."""
    token = os.environ.get(token_env)
    if not token:
        raise SystemExit(f"front-sync: environment variable {token_env} is empty or unset (it must hold the token)")
    os.environ[f"AIRFLOW_CONN_{STANDALONE_CONN_ID.upper()}"] = json.dumps(
        {"conn_type": "front", "host": base_url, "password": token}
    )
    return STANDALONE_CONN_ID


def _sync_config(args: argparse.Namespace) -> SyncConfig:
    if args.sync_config:
        return SyncConfig.from_json(args.sync_config)
    if args.base_url:
        return SyncConfig()
    from airflow.models import Variable

    return SyncConfig.from_json(Variable.get(CONFIG_VARIABLE, default_var=None))  # the ORM Variable (no task here)


def run_estimate(
    front: FrontHook,
    config: SyncConfig,
    now: Decimal,
    limits: SampleLimits | None = None,
    rpm: float | None = None,
    share: float | None = None,
) -> Estimate:
    """Sample through `front` and price it at the connection's budget (or `rpm`/`share`); returns the Estimate."""
    sample = sample_account(front, now, limits)
    settings = front.settings
    plan = Plan(
        rpm=rpm or settings.rpm,
        share=share or settings.share,
        workers=settings.max_workers,
        seconds_per_call=sample.seconds_per_call,
    )
    return estimate(sample, plan, config)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``front-sync`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "oauth":
        from front_sync.estimate.oauth_cli import run

        return run(args)
    if bool(args.base_url) != bool(args.token_env):
        raise SystemExit("front-sync: --base-url and --token-env go together")
    conn_id = _standalone_connection(args.base_url, args.token_env) if args.base_url else args.conn_id
    limits = SampleLimits(activity_hours=args.activity_hours)
    with open_front_hook(conn_id) as front:
        result = run_estimate(front, _sync_config(args), Decimal(repr(time.time())), limits, args.rpm, args.share)
    print(render(result))
    return 2 if result.sample.scope_errors else 0


if __name__ == "__main__":
    sys.exit(main())
