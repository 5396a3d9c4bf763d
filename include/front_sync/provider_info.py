"""Provider metadata: registers the `front` connection type with relabelled fields in the Airflow UI."""


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
                    "hidden-fields": ["schema", "login", "port"],
                    "relabeling": {"host": "API base URL", "password": "API token"},
                    "placeholders": {
                        "host": "https://api2.frontapp.com",
                        "password": "Front API token (Settings > Developers > API tokens)",
                    },
                },
                "conn-fields": {
                    "page_limit": {
                        "label": "Page size",
                        "description": "Records per page, 1-100 (Front's maximum is 100).",
                        "schema": {"type": ["integer", "null"], "default": 100},
                    },
                    "allowed_hosts": {
                        "label": "Allowed hosts",
                        "description": "Extra host names that may receive the token, comma-separated "
                        "(the base host and *.frontapp.com are always allowed).",
                        "schema": {"type": ["string", "null"]},
                    },
                },
            }
        ],
    }
