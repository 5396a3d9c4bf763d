"""One rate budget per Front company in PostgreSQL: the store's semantics on the database clock, and two hooks
("tasks") of four threads each against the rate-limited simulator staying within the company's budget."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from front_sync.hooks.budget import PACE_LANE, SEARCH_LANE, burst_lane
from front_sync.hooks.front import FrontHook
from front_sync.warehouse import migrations
from front_sync.warehouse.budget_store import PostgresBudgetStore

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

PATHS = ("/tags", "/inboxes", "/teammates", "/channels")  # four resources: the company pace binds, not bursts


@pytest.fixture
def stores(warehouse, warehouse_url):
    """A function opening PostgresBudgetStores on a migrated database, each on its own connection."""
    migrations.migrate(warehouse)
    opened: list[PostgresBudgetStore] = []

    def open_store() -> PostgresBudgetStore:
        opened.append(PostgresBudgetStore(lambda: psycopg.connect(warehouse_url)))
        return opened[-1]

    yield open_store
    for store in opened:
        store.close()


def test_two_stores_share_one_pace_per_key_and_keys_are_independent(stores):
    task_a, task_b = stores(), stores()
    lanes = [(PACE_LANE, 0.5), (burst_lane("contacts"), 0.0)]
    assert task_a.reserve("acme", lanes, 0.0) == (0.0, False)
    wait, held = task_b.reserve("acme", lanes, 0.0)  # the other task queues behind it
    assert wait == pytest.approx(0.5, abs=0.05) and not held
    assert task_b.reserve("globex", lanes, 0.0) == (0.0, False)


def test_a_hold_from_one_worker_holds_the_others_and_never_moves_earlier(stores):
    task_a, task_b = stores(), stores()
    assert task_a.hold("acme", PACE_LANE, 2.0)
    assert not task_b.hold("acme", PACE_LANE, 1.0)  # a shorter hold does not shorten it
    assert task_b.hold_left("acme", [PACE_LANE, burst_lane("tags")]) == pytest.approx(2.0, abs=0.1)
    wait, held = task_b.reserve("acme", [(PACE_LANE, 0.01), (burst_lane("tags"), 0.0)], 0.0)
    assert held and wait == pytest.approx(2.0, abs=0.1)
    assert task_a.hold_left("acme", [burst_lane("tags")]) <= 0  # the burst lane itself is not held


def test_a_quota_reading_widens_the_pace_and_own_delays_count_as_held(stores):
    task_a, task_b = stores(), stores()
    lanes = [(PACE_LANE, 0.01)]
    task_a.reserve("acme", lanes, 0.0)
    task_a.set_quota("acme", PACE_LANE, 3.0, 30.0)
    wait, held = task_b.reserve("acme", lanes, 0.0)
    assert wait == pytest.approx(3.0, abs=0.1) and not held
    wait, held = task_b.reserve("acme", [(SEARCH_LANE, 0.0)], 5.0)
    assert held and wait == pytest.approx(5.0, abs=0.1)


def test_threads_of_two_stores_reserve_distinct_evenly_spaced_slots(stores):
    waits: list[float] = []
    lock = threading.Lock()

    def reserve(store: PostgresBudgetStore) -> None:
        for _ in range(10):
            wait, _ = store.reserve("acme", [(PACE_LANE, 0.05)], 0.0)
            with lock:
                waits.append(wait)

    shared = [stores(), stores()]
    threads = [threading.Thread(target=reserve, args=(shared[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(waits) == 80
    assert max(waits) >= 79 * 0.05 - 0.2  # one queue for all: the 80th slot is 79 spacings away


def run_tasks(stores, jobs, threads: int = 4) -> float:
    """Two FrontHooks ("tasks"), each on its own store connection, each running ``jobs`` over four threads;
    returns the wall time."""
    errors: list[BaseException] = []

    def task(store: PostgresBudgetStore) -> None:
        try:
            with FrontHook(budget_store=store) as hook:
                list(hook.map_concurrent(lambda path: hook.request_json(path), jobs, max_workers=threads))
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    started = time.monotonic()
    tasks = [threading.Thread(target=task, args=(stores(),)) for _ in range(2)]
    for t in tasks:
        t.start()
    for t in tasks:
        t.join()
    assert not errors, errors
    return time.monotonic() - started


def test_two_tasks_of_four_threads_stay_within_the_company_budget(stores, simulator, connect_front):
    # Simulator plan: 50 requests per 10 s window (a 300 rpm plan, scaled to a 10 s window). Budget: 300 x 0.8 =
    # 4 requests/s, 40 per window; two unshared budgets would send 80 and run into 429s.
    simulator.set_rate_limit(rpm=50, burst_per_second=5, window_seconds=10)
    simulator.reset_stats()
    connect_front(rpm=300, share=0.8, burst_per_second=5)
    elapsed = run_tasks(stores, [PATHS[i % len(PATHS)] for i in range(16)])
    totals = simulator.stats()["totals"]
    assert totals["calls"] == 32 and totals["429s"] == 0
    rate = (totals["calls"] - 1) / elapsed  # the first request goes at once: 31 spacings
    assert rate <= 4.0 * 1.05, f"{rate:.2f} requests/s over the 4/s budget"
    assert rate >= 4.0 * 0.8, f"{rate:.2f} requests/s: the budget is under-used"


def test_search_is_paced_at_40_percent_of_the_budget(stores, simulator, connect_front):
    simulator.reset(seed=1, sizes={"contacts": 0, "conversations": 20})
    simulator.set_rate_limit(rpm=50, burst_per_second=5, window_seconds=10)
    simulator.reset_stats()
    connect_front(rpm=300, share=0.8, burst_per_second=5)  # 4 requests/s: search 1.6/s
    elapsed = run_tasks(stores, ["/conversations/search/is:open"] * 5)
    stats = simulator.stats()
    search = stats["endpoints"]["/conversations/search/{query}"]
    assert search["calls"] == 10 and stats["totals"]["429s"] == 0
    assert elapsed >= 9 / 1.6 - 0.3, f"10 searches in {elapsed:.1f} s: faster than 40 % of the budget"
