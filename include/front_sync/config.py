"""Names of the configuration surface (Connections, Variables, pool, schedules), the front_sync.config Variable
and the tenant list (several Front companies, each with its own connections, DAGs, pool and Variables)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

FRONT_CONN_ID = "front_default"
WAREHOUSE_CONN_ID = "front_warehouse"
SLACK_CONN_ID = "slack_alerts"
SMTP_CONN_ID = "smtp_alerts"
WEBHOOK_CONN_ID = "front_webhook"
API_POOL = "front_api"
CONFIG_VARIABLE = "front_sync.config"
WAREHOUSE_SCHEMA = "front"

# Cron expressions read when the DAG files are parsed (environment, not Variables: no DB access at parse time).
SCHEDULE_ENV = {
    "incremental": "FRONT_SYNC_INCREMENTAL_SCHEDULE",
    "full": "FRONT_SYNC_FULL_SCHEDULE",
    "monitor": "FRONT_SYNC_MONITOR_SCHEDULE",
}
DEFAULT_SCHEDULES = {"incremental": "0 * * * *", "full": "0 2 * * *", "monitor": "*/15 * * * *"}
CONVERSATION_STRATEGIES = ("events", "list")


def watermark_key(resource: str, tenant: str | None = None) -> str:
    """The Variable that holds a resource's incremental cursor (a tenant's: front_sync.<tenant>.watermark.<r>)."""
    return f"front_sync.watermark.{resource}" if tenant is None else f"front_sync.{tenant}.watermark.{resource}"


def config_key(tenant: str | None = None) -> str:
    """The config Variable: front_sync.config, or a tenant's override of it, front_sync.<tenant>.config."""
    return CONFIG_VARIABLE if tenant is None else f"front_sync.{tenant}.config"


class ConfigError(ValueError):
    """A setting is wrong; the message names the setting and what is expected."""


def schedule(kind: str) -> str:
    """The cron schedule of a DAG kind, from its environment setting or the default; a bad one fails parsing."""
    from croniter import croniter

    name = SCHEDULE_ENV[kind]
    value = os.environ.get(name, "").strip() or DEFAULT_SCHEDULES[kind]
    if not croniter.is_valid(value):
        raise ConfigError(f"Environment setting {name}={value!r} is not a valid cron expression (e.g. '0 * * * *')")
    return value


def _non_negative_int(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"setting {name!r} must be a non-negative integer")
    return value


def _positive_int(name: str, value: Any) -> int:
    if _non_negative_int(name, value) == 0:
        raise ConfigError(f"setting {name!r} must be at least 1")
    return value


def _strategy(name: str, value: Any) -> str:
    if value not in CONVERSATION_STRATEGIES:
        raise ConfigError(f"setting {name!r} must be one of {list(CONVERSATION_STRATEGIES)}")
    return value


def _optional_positive_int(name: str, value: Any) -> int | None:
    return None if value is None else _positive_int(name, value)


def _percent(name: str, value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 100:
        raise ConfigError(f"setting {name!r} must be a number above 0 and at most 100")
    return float(value)


def _factor(name: str, value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 1:
        raise ConfigError(f"setting {name!r} must be a number above 1")
    return float(value)


def _url(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"setting {name!r} must be a non-empty string (a URL)")
    return value.strip().rstrip("#")


def _emails(name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and "@" in v for v in value):
        raise ConfigError(f"setting {name!r} must be a list of email addresses")
    return tuple(value)


def _caps(name: str, value: Any) -> Mapping[str, int]:
    if not isinstance(value, dict):
        raise ConfigError(f"setting {name!r} must be an object of resource -> integer")
    return MappingProxyType({str(k): _positive_int(f"{name}.{k}", v) for k, v in value.items()})


def _setting(default: Any, check: Callable[[str, Any], Any]) -> Any:
    """A SyncConfig field: its default, and the check its JSON value passes (which returns the value to keep).
    The dataclass is the one table of settings: names, types, defaults and checks side by side."""
    if isinstance(default, Mapping):
        return field(default_factory=lambda: MappingProxyType(dict(default)), metadata={"check": check})
    return field(default=default, metadata={"check": check})


@dataclass(frozen=True)
class SyncConfig:
    """Tunables read from the optional JSON Variable front_sync.config; every key is optional.

    overlap_seconds: how far before the watermark a run reads again; batch_pages: pages per load transaction;
    conversation_strategy: "events" (the Events API) or "list" (GET /conversations newest first, stop at the
    watermark); max_results: a cap of records per resource per run ({"contacts": 5000}); a capped run says so
    and the next one continues. (Parallel fetches are the Front connection's `max_workers` extra.)
    directory_refresh_minutes: the hourly DAG lists the small resources (tags, teammates, inboxes...) only when
    their last complete listing is older than this (0: every run); the nightly full DAG always lists them.
    The pending queue: queue_lease_seconds (a claim lapses after this, so a dead worker's conversations come
    free), queue_max_attempts (tries before a conversation goes to dead_letters), queue_retry_seconds (back-off
    after a failed try, times the tries so far).
    Alerts (front_sync_monitor, docs/runbook.md): stale_after_minutes (no successful sync of a resource for
    this long), failure_rate_percent of task tries failed over failure_rate_hours, a run longer than
    slow_run_factor x the median of the resource's last slow_run_baseline runs (and over slow_run_min_seconds),
    quota_use_percent of Front's rate limit used (lowest remaining seen over quota_window_minutes),
    escalate_after_failures failed runs of a task in a row; real time (issue 21): no webhook for
    webhook_silent_minutes while /events still shows changes, a webhook-to-row lag p95 over the last hour (or a
    stored webhook waiting) over webhook_lag_p95_seconds, over webhook_rejections_per_hour refused requests;
    runbook_url (links in alerts, e.g. the runbook on your Git host), alert_emails (recipients through the
    smtp_alerts connection).
    retention_days: message bodies and attachment metadata older than this are purged (null: kept forever).
    verify_days: the nightly full DAG's rolling verification re-fetches the messages and comments of about
    1/verify_days of all conversations each night (a slice by id), so every conversation's sub-resources are verified at
    least once every verify_days and a change Front announced by no event converges within that bound.
    """

    overlap_seconds: int = _setting(300, _non_negative_int)
    batch_pages: int = _setting(5, _positive_int)
    conversation_strategy: str = _setting("events", _strategy)
    max_results: Mapping[str, int] = _setting(MappingProxyType({}), _caps)
    directory_refresh_minutes: int = _setting(360, _non_negative_int)
    queue_lease_seconds: int = _setting(600, _positive_int)
    queue_max_attempts: int = _setting(5, _positive_int)
    queue_retry_seconds: int = _setting(60, _non_negative_int)
    stale_after_minutes: int = _setting(120, _positive_int)
    failure_rate_percent: float = _setting(5.0, _percent)
    failure_rate_hours: int = _setting(24, _positive_int)
    slow_run_factor: float = _setting(2.0, _factor)
    slow_run_baseline: int = _setting(20, _positive_int)
    slow_run_min_seconds: int = _setting(60, _non_negative_int)
    quota_use_percent: float = _setting(80.0, _percent)
    quota_window_minutes: int = _setting(60, _positive_int)
    escalate_after_failures: int = _setting(3, _positive_int)
    webhook_silent_minutes: int = _setting(30, _positive_int)
    webhook_lag_p95_seconds: int = _setting(60, _positive_int)
    webhook_rejections_per_hour: int = _setting(20, _positive_int)
    retention_days: int | None = _setting(None, _optional_positive_int)
    verify_days: int = _setting(7, _positive_int)
    runbook_url: str = _setting("docs/runbook.md", _url)
    alert_emails: tuple[str, ...] = _setting((), _emails)

    @classmethod
    def from_json(
        cls, text: str | None, override: str | None = None, *, override_variable: str = CONFIG_VARIABLE
    ) -> SyncConfig:
        """Parse the Variable's JSON, and `override` (a tenant's front_sync.<tenant>.config) key by key over it;
        unknown keys or wrong types fail fast naming the Variable and the setting."""
        settings = {**_settings(text, CONFIG_VARIABLE), **_settings(override, override_variable)}
        return cls(**settings)

    def cap(self, resource: str) -> int | None:
        """The max_results cap of a resource, if any."""
        return self.max_results.get(resource)


def _settings(text: str | None, variable: str) -> dict[str, Any]:
    """The checked settings of one config Variable's JSON (none when it is unset or empty)."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"Variable {variable} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"Variable {variable} must be a JSON object, got {type(data).__name__}")
    known = {f.name for f in fields(SyncConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"Variable {variable}: unknown setting(s) {unknown}; known: {sorted(known)}")
    checks = {f.name: f.metadata["check"] for f in fields(SyncConfig)}
    try:
        return {name: checks[name](name, value) for name, value in data.items()}
    except ConfigError as exc:
        raise ConfigError(f"Variable {variable}: {exc}") from exc


def read_config(variables, tenant: str | None = None) -> SyncConfig:
    """The config a task runs with, from an object with Variable.get's signature: front_sync.config, with the
    tenant's front_sync.<tenant>.config (when set) overriding it setting by setting."""
    shared = variables.get(CONFIG_VARIABLE, default=None)
    if tenant is None:
        return SyncConfig.from_json(shared)
    return SyncConfig.from_json(
        shared, variables.get(config_key(tenant), default=None), override_variable=config_key(tenant)
    )


# Several Front companies (tenants): a JSON file named by this environment setting, read when DAG files are parsed
# (a file, not a Variable: parsing must not query the metadata DB). Unset: one tenant with today's names.
TENANTS_ENV = "FRONT_SYNC_TENANTS"
TENANT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
CONN_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,249}$")
RESERVED_TENANT_NAMES = frozenset({"config", "watermark", "default"})  # would read like the shared Variables
TENANT_FIELDS = ("name", "front_conn_id", "warehouse_conn_id", "pool_slots", "webhook_conn_id")
DEFAULT_POOL_SLOTS = 2


def tenant_label(name: str | None) -> str:
    """A tenant's name as pages and alerts show it: the single default (no name) is "default"."""
    return name or "default"


@dataclass(frozen=True)
class Tenant:
    """One Front company: its connections and the names of its DAGs, pool and Variables.

    name: None for the single-tenant default, which keeps today's names (front_sync_incremental, pool front_api,
    front_sync.watermark.<resource>); a tenant named "acme" gets front_sync_incremental__acme, front_api__acme and
    front_sync.acme.watermark.<resource>. Its rate budget (plan rpm, share, budget key) is its Front connection's
    extras, and it lives in its own warehouse database: tenants never share one. webhook_conn_id: the connection
    with its Front app's webhook signing secret (password) and company id (extra), read by the webhook receiver.
    """

    name: str | None = None
    front_conn_id: str = FRONT_CONN_ID
    warehouse_conn_id: str = WAREHOUSE_CONN_ID
    pool_slots: int = DEFAULT_POOL_SLOTS
    webhook_conn_id: str = WEBHOOK_CONN_ID

    @property
    def label(self) -> str:
        """The tenant's name as the page and alerts show it ("default" for the single default)."""
        return tenant_label(self.name)

    def dag_id(self, base: str) -> str:
        """The id of this tenant's copy of a DAG."""
        return base if self.name is None else f"{base}__{self.name}"

    @property
    def pool(self) -> str:
        """The pool that caps this tenant's concurrent Front API tasks."""
        return API_POOL if self.name is None else f"{API_POOL}__{self.name}"

    @property
    def tags(self) -> list[str]:
        """Tags that let the UI filter one tenant's DAGs."""
        return [] if self.name is None else [f"tenant:{self.name}"]

    def task_defaults(self) -> dict[str, Any]:
        """default_args entries that hand the tenant's connections and name to every operator that takes them."""
        return {"front_conn_id": self.front_conn_id, "warehouse_conn_id": self.warehouse_conn_id, "tenant": self.name}


def tenants(environ: Mapping[str, str] = os.environ) -> tuple[Tenant, ...]:
    """The tenants of this deployment: those of the file FRONT_SYNC_TENANTS names, or the single default."""
    path = environ.get(TENANTS_ENV, "").strip()
    if not path:
        return (Tenant(),)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ConfigError(f"Environment setting {TENANTS_ENV}={path!r}: cannot read the tenant list ({exc})") from exc
    return parse_tenants(text, source=path)


def parse_tenants(text: str, source: str = TENANTS_ENV) -> tuple[Tenant, ...]:
    """Parse and check a tenant list, {"tenants": [{"name", "front_conn_id", "warehouse_conn_id", "pool_slots"?,
    "webhook_conn_id"? (default front_webhook__<name>)}]}; the error names the entry and the field."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"Tenant list {source} is not valid JSON: {exc}") from exc
    entries = data.get("tenants") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f'Tenant list {source} must be an object {{"tenants": [...]}} with at least one tenant')
    found = tuple(_tenant(entry, f"{source}: tenants[{index}]") for index, entry in enumerate(entries))
    for attribute in ("name", "front_conn_id", "warehouse_conn_id", "webhook_conn_id"):
        values = [getattr(t, attribute) for t in found]
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ConfigError(f"Tenant list {source}: {attribute} must differ between tenants; repeated: {repeated}")
    return found


def _tenant(entry: Any, where: str) -> Tenant:
    """One checked entry of the tenant list."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be an object with {list(TENANT_FIELDS)}")
    unknown = sorted(set(entry) - set(TENANT_FIELDS))
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {unknown}; known: {list(TENANT_FIELDS)}")
    name = entry.get("name")
    if not isinstance(name, str) or not TENANT_NAME.match(name) or name in RESERVED_TENANT_NAMES:
        raise ConfigError(
            f"{where}: field 'name' must be 1-32 lower-case letters, digits or _ starting with a "
            f"letter, not one of {sorted(RESERVED_TENANT_NAMES)}; got {name!r}"
        )
    entry = {"webhook_conn_id": f"{WEBHOOK_CONN_ID}__{name}", **entry}
    for conn_field in ("front_conn_id", "warehouse_conn_id", "webhook_conn_id"):
        value = entry.get(conn_field)
        if not isinstance(value, str) or not CONN_ID.match(value):
            raise ConfigError(
                f"{where} ({name}): field {conn_field!r} must be a connection id (letters, digits, "
                f"_ . -); got {value!r}"
            )
    slots = entry.get("pool_slots", DEFAULT_POOL_SLOTS)
    if not isinstance(slots, int) or isinstance(slots, bool) or slots < 1:
        raise ConfigError(f"{where} ({name}): field 'pool_slots' must be an integer of at least 1; got {slots!r}")
    return Tenant(name, entry["front_conn_id"], entry["warehouse_conn_id"], slots, entry["webhook_conn_id"])


def tenant_pools(found: tuple[Tenant, ...]) -> dict[str, dict[str, Any]]:
    """The pools the tenants need, in `airflow pools import` form (pools cannot come from the environment)."""
    return {
        t.pool: {
            "slots": t.pool_slots,
            "include_deferred": False,
            "description": f"Caps concurrent Front API tasks of tenant {t.name or '(default)'}: each "
            "Front company has its own rate budget, its tasks share it.",
        }
        for t in found
    }
