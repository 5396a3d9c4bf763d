"""Which Front company's webhooks the receiver accepts: each tenant's webhook connection (its app's signing secret
and company id) and warehouse connection, read through Airflow's secrets backends and refreshed periodically."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from front_sync.config import Tenant, tenants
from front_sync.realtime.signature import signed_by

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookTenant:
    """One tenant as the receiver sees it: the company it serves, its signing secrets (current first, then the
    previous one during a rotation) and the warehouse its webhooks are stored in."""

    tenant: str | None
    company_id: str
    warehouse_conn_id: str
    secrets: tuple[str, ...] = field(repr=False)
    warehouse: Any = field(repr=False, compare=False)  # the warehouse's Airflow Connection, read with the rest

    @property
    def label(self) -> str:
        """The tenant's name in logs and on /healthz."""
        return self.tenant or "default"


def _webhook_tenant(tenant: Tenant, get_connection: Callable[[str], Any]) -> WebhookTenant:
    """The receiver's view of one tenant; ValueError (naming the connection and the field) when it is incomplete."""
    webhook = get_connection(tenant.webhook_conn_id)
    extra = webhook.extra_dejson
    company_id, previous = extra.get("company_id"), extra.get("previous_secret")
    if not webhook.password:
        raise ValueError(f"connection {tenant.webhook_conn_id} has no password (the Front app's signing secret)")
    if not isinstance(company_id, str) or not company_id:
        raise ValueError(f'connection {tenant.webhook_conn_id} needs the extra "company_id" (e.g. "cmp_3f2a")')
    if previous is not None and (not isinstance(previous, str) or not previous):
        raise ValueError(f'connection {tenant.webhook_conn_id}: extra "previous_secret" must be a non-empty string')
    secrets = (webhook.password,) if previous is None else (webhook.password, previous)
    return WebhookTenant(
        tenant.name, company_id, tenant.warehouse_conn_id, secrets, get_connection(tenant.warehouse_conn_id)
    )


def load_webhook_tenants(
    found: Iterable[Tenant], get_connection: Callable[[str], Any]
) -> tuple[tuple[WebhookTenant, ...], tuple[str, ...]]:
    """The tenants whose webhook connection is complete, and one line per tenant left out saying why (never a
    secret); a company id claimed by two tenants keeps the first."""
    ready: list[WebhookTenant] = []
    problems: list[str] = []
    for tenant in found:
        try:
            candidate = _webhook_tenant(tenant, get_connection)
        except Exception as exc:  # noqa: BLE001 - a missing or bad connection leaves this tenant out, named
            problems.append(f"tenant {tenant.name or 'default'}: {type(exc).__name__}: {exc}")
            continue
        if any(t.company_id == candidate.company_id for t in ready):
            problems.append(
                f"tenant {candidate.label}: company {candidate.company_id} is already another "
                f"tenant's; its webhooks go there"
            )
            continue
        ready.append(candidate)
    return tuple(ready), tuple(problems)


def airflow_connection(conn_id: str) -> Any:
    """A connection from Airflow's secrets backends (AIRFLOW_CONN_* and the configured backend)."""
    from airflow.sdk import Connection

    return Connection.get(conn_id)


class Registry:
    """The current webhook tenants; refresh() re-reads the tenant list and connections and keeps the last good
    set when reading fails, so a secrets backend hiccup never stops the receiver."""

    def __init__(
        self,
        get_connection: Callable[[str], Any] = airflow_connection,
        list_tenants: Callable[[], Iterable[Tenant]] = tenants,
    ) -> None:
        self._get_connection = get_connection
        self._list_tenants = list_tenants
        self.tenants: tuple[WebhookTenant, ...] = ()
        self.problems: tuple[str, ...] = ()
        self.loaded_at: float | None = None

    def refresh(self) -> None:
        """Read the tenants again; logs which tenants receive webhooks whenever that changes."""
        try:
            found, problems = load_webhook_tenants(self._list_tenants(), self._get_connection)
        except Exception:  # noqa: BLE001 - keep serving with the previous tenants
            log.exception("webhook receiver: reading the tenant list failed; keeping the previous tenants")
            return
        if [(t.label, t.company_id) for t in found] != [
            (t.label, t.company_id) for t in self.tenants
        ] or problems != self.problems:
            log.info(
                "webhook receiver: receiving for %s",
                ", ".join(f"{t.label} ({t.company_id})" for t in found) or "no tenant",
            )
            for problem in problems:
                log.warning("webhook receiver: %s", problem)
        self.tenants, self.problems, self.loaded_at = found, problems, time.time()

    def signers(self, timestamp: str, body: bytes, signature: str) -> list[WebhookTenant]:
        """The tenants one of whose secrets signed this request (several when one Front app serves several)."""
        verdicts: dict[str, bool] = {}
        for secret in {s for t in self.tenants for s in t.secrets}:
            verdicts[secret] = signed_by(secret, timestamp, body, signature)
        return [t for t in self.tenants if any(verdicts[s] for s in t.secrets)]
