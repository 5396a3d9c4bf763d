"""Provider metadata: registers the `front` connection type with relabelled fields in the Airflow UI.

Its extra fields come from the one list of connection extras (``front_sync.hooks.extras.EXTRAS``).
"""

from front_sync.hooks.extras import DEFAULT_BASE_URL, conn_fields


def get_provider_info() -> dict:
    return {
        "package-name": "front-sync",
        "name": "front-sync",
        "description": "Front (frontapp.com) Core API connection for front-sync.",
        "versions": ["0.1.0"],
        "connection-types": [
            {
                "connection-type": "front",
                "hook-class-name": "front_sync.hooks.front.FrontHook",
                "hook-name": "Front API",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port"],
                    "relabeling": {
                        "host": "API base URL",
                        "login": "OAuth client id",
                        "password": "API token or OAuth client secret",
                    },
                    "placeholders": {
                        "host": DEFAULT_BASE_URL,
                        "login": "OAuth only (extra auth: oauth): the Front app's client id",
                        "password": "Front API token (Settings > Developers > API tokens), or the app's client secret",
                    },
                },
                "conn-fields": conn_fields(),
            }
        ],
    }
