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
                    "rpm": {
                        "label": "Plan rate limit (requests/minute)",
                        "description": "Front's per-company limit: 50, 100 or 200 depending on the plan.",
                        "schema": {"type": ["number", "null"], "default": 100},
                    },
                    "share": {
                        "label": "Share of the limit for this task",
                        "description": "0 < share <= 1; leave room for other integrations and parallel tasks.",
                        "schema": {"type": ["number", "null"], "default": 0.8},
                    },
                    "burst_per_second": {
                        "label": "Per-resource burst limit (requests/s)",
                        "description": "Front's per-resource limit (about 5/s); 0 turns the spacing off.",
                        "schema": {"type": ["number", "null"], "default": 5},
                    },
                    "connect_timeout": {
                        "label": "Connect timeout (s)", "schema": {"type": ["number", "null"], "default": 5},
                    },
                    "read_timeout": {
                        "label": "Read timeout (s)", "schema": {"type": ["number", "null"], "default": 30},
                    },
                    "max_attempts": {
                        "label": "Retries of a transient failure",
                        "description": "Retries of 5xx, timeouts and bad JSON (1, 2, 4, 8, 16 s), 0-10.",
                        "schema": {"type": ["integer", "null"], "default": 5},
                    },
                    "max_rate_limit_wait_seconds": {
                        "label": "Max 429 wait per request (s)",
                        "schema": {"type": ["number", "null"], "default": 300},
                    },
                    "breaker_failures": {
                        "label": "Consecutive failures before the breaker opens",
                        "schema": {"type": ["integer", "null"], "default": 10},
                    },
                    "breaker_cooldown_seconds": {
                        "label": "Breaker cool-down (s)", "schema": {"type": ["number", "null"], "default": 60},
                    },
                    "max_workers": {
                        "label": "Concurrent fetches",
                        "description": "Threads fetching per-conversation messages and comments (1-32).",
                        "schema": {"type": ["integer", "null"], "default": 4},
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
