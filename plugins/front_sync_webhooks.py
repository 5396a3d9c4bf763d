"""Front's webhooks on Airflow's api-server, for one-node installs (README "Real-time updates").

Off unless the api-server's environment has FRONT_SYNC_WEBHOOK_PLUGIN=1: then the receiver (the same app as
`python -m front_sync.realtime`) answers at <api-server>/front-sync-webhooks/webhooks/front and /healthz, without
Airflow's login (Front signs its requests; everything unsigned is refused). Here the connections are read as the
api-server reads them (its secrets backends and the metadata DB). The service of its own stays the recommended
set-up: it keeps Front away from Airflow's UI and API. Restart the api-server after changing this file.
"""

from __future__ import annotations

import os

from airflow.plugins_manager import AirflowPlugin

ENABLED = os.environ.get("FRONT_SYNC_WEBHOOK_PLUGIN", "").strip().lower() in ("1", "true", "yes")
URL_PREFIX = "/front-sync-webhooks"


def _apps() -> list[dict]:
    """The receiver as a fastapi_apps entry, when enabled."""
    if not ENABLED:
        return []
    from front_sync.realtime.receiver import create_app

    return [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Front webhooks"}]


class FrontSyncWebhooksPlugin(AirflowPlugin):
    """Mounts the webhook receiver in the api-server when FRONT_SYNC_WEBHOOK_PLUGIN=1."""

    name = "front_sync_webhooks"
    fastapi_apps = _apps()
