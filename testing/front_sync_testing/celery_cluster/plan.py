"""What the Celery check runs: the companies, the changes it makes, the variants and their settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from front_sync_testing import ROOT, truth

SCRIPT = ROOT / "scripts" / "airflow_celery.sh"

TOKEN = "test-token"
DAGS = ("front_sync_backfill", "front_sync_incremental", "front_sync_full")
FINISHED = ("success", "failed")
# A rate-limited company: 1,200 requests a minute, 10 a second per resource; each task may spend 45 % of it and
# the front_api pool runs two API tasks at a time, as in the soak test.
RPM, BURST = 1200, 10
FRONT_EXTRA = {
    "allowed_hosts": ["localhost"],
    "rpm": RPM,
    "share": 0.45,
    "burst_per_second": 5,
    "read_timeout": 10,
    "max_rate_limit_wait_seconds": 120,
}
# The queue's time constants compressed (defaults 600 s and 60 s): a killed try's claims lapse within the test.
SYNC_CONFIG = {"queue_lease_seconds": 15, "queue_retry_seconds": 5}
CHANGES = (
    "new_inbound",
    "new_outbound",
    "add_comments",
    "tag",
    "archive",
    "update_contacts",
    "create_contacts",
    "new_conversations",
)
# Not update_contacts in the tenants variant: a contact renamed inside a conversation's recipients emits no event
# (README: changes that emit no event), and in these small accounts most contacts are some conversation's recipient.
# Contacts still change (create_contacts, then delete_contacts before the full runs).
TENANT_CHANGES = tuple(action for action in CHANGES if action != "update_contacts")
KILL_TARGETS = ("sync_messages", "sync_comments")  # children of the backfill: they work the PostgreSQL queue


@dataclass(frozen=True)
class Company:
    """One Front company of the tenants variant: its simulator's data (seed, sizes), token and rate limit."""

    name: str
    seed: int
    token: str
    rpm: int
    sizes: dict[str, Any]


@dataclass(frozen=True)
class Variant:
    name: str
    sizes: dict[str, Any]
    kills: tuple[str | None, ...]  # the worker each kill hits (None: whichever is first inside a queue task)
    deadline_seconds: float
    companies: tuple[Company, ...] = ()  # the tenants variant: one tenant per company, no kill
    oauth: bool = False  # the oauth variant: front_default is an OAuth app with short-lived access tokens


# The simulators' ids depend on the sizes, not the seed: different sizes give each company ids the other lacks,
# and the ids both have hold different records (other seed). Different plans too: each has its own budget.
COMPANIES = (
    Company("acme", 21, "token-acme", 1200, {**truth.SIZES, "contacts": 120, "conversations": 40}),
    Company("globex", 22, "token-globex", 900, {**truth.SIZES, "contacts": 60, "conversations": 55}),
)
VARIANTS = {
    "short": Variant("short", {**truth.SIZES, "contacts": 200, "conversations": 60}, (None,), 330),
    "full": Variant("full", {**truth.SIZES, "contacts": 1500, "conversations": 200}, ("worker1", "worker2"), 900),
    "tenants": Variant("tenants", {}, (), 330, COMPANIES),
    # Six inboxes: seed 13 makes one of them private, which an OAuth token does not see.
    "oauth": Variant("oauth", {**truth.SIZES, "contacts": 200, "conversations": 60, "inboxes": 6}, (), 420, oauth=True),
}
OAUTH_LIFETIME = 20.0  # seconds an access token lives in the oauth variant (Front: an hour)
OAUTH_MARGIN = 5.0  # refresh this long before expiry
OAUTH_CALLBACK = "http://127.0.0.1:9/front-sync-oauth/callback"
