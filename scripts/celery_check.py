"""make test-celery / test-celery-full / test-celery-tenants: the native Celery topology under test (see
front_sync_testing/celery_cluster/harness.py).

    .venv/bin/python scripts/celery_check.py [--variant short|full|tenants|oauth] [--summary-json FILE]
        [--keep-logs DIR]

Exit code 0 when every run succeeded on both workers, the killed worker's task succeeded on the other one, the
warehouse equals the simulator's ground truth and the shutdown was clean (tenants: each warehouse equals its own
company's truth, nothing crossed, no 401, 429s within 1 % at each simulator; oauth: no failed try, one refresh
per access-token expiry, no refresh token sent twice, no token in any file); 1 otherwise.
"""

from __future__ import annotations

from front_sync_testing.celery_cluster.harness import main

if __name__ == "__main__":
    raise SystemExit(main())
