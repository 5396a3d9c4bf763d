"""The rate budget and the circuit breaker on a fake clock: pacing, burst spacing, holds, quota headers."""

from __future__ import annotations

import threading
import time

import pytest

from front_sync.hooks.breaker import CircuitBreaker
from front_sync.hooks.budget import MemoryBudgetStore, RateBudget
from front_sync.hooks.errors import FrontLooksDownError, FrontRetryableError


def budget(clock, rpm: float = 60_000, burst: float = 0, **shared) -> RateBudget:
    return RateBudget(rpm, burst, clock=clock.monotonic, sleep=clock.sleep, wall_clock=clock.wall, **shared)


def test_requests_are_spaced_evenly_at_the_budget(fake_time):
    clock = fake_time
    pacer = budget(clock, rpm=120)
    slots = [pacer.acquire("contacts") for _ in range(4)]
    assert clock.sleeps == pytest.approx([0.5, 0.5, 0.5])
    assert [s.held for s in slots] == [False] * 4


def test_an_idle_pacer_does_not_save_up_a_burst(fake_time):
    clock = fake_time
    pacer = budget(clock, rpm=120)
    pacer.acquire("contacts")
    clock.now += 30  # idle for a while
    pacer.acquire("contacts")
    pacer.acquire("contacts")
    assert clock.sleeps == pytest.approx([0.5])  # the second request after the pause still waits its turn


def test_one_resource_stays_under_fronts_burst_limit_while_others_go_ahead(fake_time):
    clock = fake_time
    pacer = budget(clock, rpm=60_000, burst=5)
    start = clock.now
    times = []
    for _ in range(6):
        pacer.acquire("conversations")
        times.append(clock.now - start)
    assert times[5] > 1.0  # never 6 requests to one resource inside one second
    before = clock.now
    pacer.acquire("contacts")
    assert clock.now - before == pytest.approx(0.001)  # another resource only waits for the overall pace


def test_a_plan_limit_hold_stops_every_resource_and_counts_as_a_rate_limit_wait(fake_time):
    clock = fake_time
    pacer = budget(clock)
    pacer.acquire("contacts")
    pacer.hold(3.0)
    slot = pacer.acquire("tags")
    assert slot.held and slot.waited == pytest.approx(3.0)


def test_a_burst_hold_stops_only_its_resource(fake_time):
    clock = fake_time
    pacer = budget(clock)
    pacer.hold(2.0, "conversations")
    assert not pacer.acquire("contacts").held
    slot = pacer.acquire("conversations")
    assert slot.held and slot.waited == pytest.approx(2.0, abs=0.01)


def test_after_a_burst_429_the_refused_request_waits_1s_and_the_others_only_what_front_said(fake_time):
    clock = fake_time
    pacer = budget(clock)
    pacer.hold(0.004, "conversations")  # Front: the burst window clears in 4 ms
    other = pacer.acquire("conversations")
    refused = pacer.acquire("conversations", delay=1.0)  # its own Retry-After, floored at 1 s
    assert other.held and other.waited == pytest.approx(0.004, abs=0.002)
    assert refused.held and refused.waited == pytest.approx(1.0, abs=0.002)


def test_an_exhausted_quota_holds_until_the_reset_before_any_429(fake_time):
    clock = fake_time
    pacer = budget(clock)
    pacer.acquire("contacts")
    pacer.observe(100, 0, str(int(clock.wall()) + 8))
    slot = pacer.acquire("contacts")
    assert slot.held and 7.0 <= slot.waited <= 8.0


def test_a_low_quota_is_spread_over_the_time_to_the_reset(fake_time):
    clock = fake_time
    pacer = budget(clock, rpm=6000)  # our own pace would be 0.01 s
    pacer.acquire("contacts")
    pacer.observe(100, 10, str(int(clock.wall()) + 20))  # 10 requests left for 20 s: one every 2 s
    pacer.acquire("contacts")
    pacer.acquire("contacts")
    assert clock.sleeps[-1] == pytest.approx(2.0)
    clock.now += 30  # past the reset: back to our own pace
    pacer.acquire("contacts")
    pacer.acquire("contacts")
    assert clock.sleeps[-1] == pytest.approx(0.01)


def test_a_hold_that_starts_while_a_thread_sleeps_sends_it_back_in_the_queue(fake_time):
    clock = fake_time
    pacer = budget(clock, rpm=60)  # one request a second
    pacer.acquire("contacts")
    real_sleep = clock.sleep

    def sleep_then_someone_gets_a_429(seconds):
        real_sleep(seconds)
        if len(clock.sleeps) == 1:
            pacer.hold(5.0)

    pacer._sleep = sleep_then_someone_gets_a_429
    slot = pacer.acquire("contacts")
    assert slot.held and slot.waited == pytest.approx(6.0)


def test_all_threads_draw_from_one_bucket():
    pacer = RateBudget(6000, 0, clock=time.monotonic, sleep=time.sleep, wall_clock=time.time)  # 10 ms apart
    stamps: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(10):
            pacer.acquire("conversations")
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    assert len(stamps) == 40
    # One bucket for all: 40 grants take 39 intervals. Per-thread buckets would take 9 (0.09 s).
    assert stamps[-1] - stamps[0] >= 39 * 0.01 - 0.01


def test_budgets_of_one_key_on_one_store_share_one_pace_and_other_keys_do_not(fake_time):
    clock = fake_time
    store = MemoryBudgetStore(clock.monotonic)
    task_a, task_b = (budget(clock, rpm=120, store=store, key="acme") for _ in range(2))
    other = budget(clock, rpm=120, store=store, key="globex")
    task_a.acquire("contacts")
    task_b.acquire("tags")  # another task of the same company waits its turn
    assert clock.sleeps == pytest.approx([0.5])
    other.acquire("contacts")  # another company does not
    assert clock.sleeps == pytest.approx([0.5])


def test_a_hold_seen_by_one_task_holds_every_task_of_the_company(fake_time):
    clock = fake_time
    store = MemoryBudgetStore(clock.monotonic)
    task_a, task_b = (budget(clock, store=store, key="acme") for _ in range(2))
    task_a.observe(100, 0, str(int(clock.wall()) + 5))  # task A reads an exhausted quota
    slot = task_b.acquire("contacts")
    assert slot.held and slot.waited == pytest.approx(5.0, abs=1.0)


def test_search_gets_40_percent_of_the_budget_and_still_counts_toward_the_pace(fake_time):
    clock = fake_time
    pacer = budget(clock, rpm=120)  # one request every 0.5 s; search one every 1.25 s
    start = clock.now
    searches = []
    for _ in range(3):
        pacer.acquire("conversations", search=True)
        searches.append(clock.now - start)
    assert searches == pytest.approx([0, 1.25, 2.5])
    before = clock.now
    pacer.acquire("contacts")  # the company pace counted the searches
    assert clock.now - before == pytest.approx(0.5)


def test_a_search_hold_stops_search_only(fake_time):
    clock = fake_time
    pacer = budget(clock)
    pacer.hold(30.0, "conversations", search=True)  # search's own limit is spent until the window resets
    assert not pacer.acquire("conversations").held  # listing conversations goes on
    slot = pacer.acquire("conversations", search=True)
    assert slot.held and slot.waited == pytest.approx(30.0, abs=0.01)


# -- circuit breaker --------------------------------------------------------------------------------------


def test_breaker_opens_after_n_consecutive_failures_and_fails_fast(fake_time):
    clock = fake_time
    breaker = CircuitBreaker(3, 60, clock.monotonic)
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure("http_503")
    breaker.before_call()
    assert breaker.state == "closed"
    breaker.record_failure("http_503")
    assert breaker.state == "open"
    with pytest.raises(FrontLooksDownError, match="Front looks down") as caught:
        breaker.before_call()
    assert isinstance(caught.value, FrontRetryableError) and "http_503" in str(caught.value)


def test_an_answer_resets_the_count_of_consecutive_failures(fake_time):
    clock = fake_time
    breaker = CircuitBreaker(3, 60, clock.monotonic)
    for _ in range(5):
        breaker.record_failure("timeout")
        breaker.record_failure("timeout")
        breaker.record_success()
    assert breaker.state == "closed" and breaker.times_opened == 0


def test_after_the_cooldown_one_probe_goes_and_success_closes(fake_time):
    clock = fake_time
    breaker = CircuitBreaker(1, 30, clock.monotonic)
    breaker.record_failure("timeout")
    clock.now += 30
    breaker.before_call()  # the probe
    with pytest.raises(FrontLooksDownError):
        breaker.before_call()  # nobody else while the probe is out
    breaker.record_success()
    breaker.before_call()
    assert breaker.state == "closed"


def test_a_failed_probe_opens_the_circuit_for_another_cooldown(fake_time):
    clock = fake_time
    breaker = CircuitBreaker(2, 30, clock.monotonic)
    breaker.record_failure("timeout")
    breaker.record_failure("timeout")
    clock.now += 31
    breaker.before_call()
    breaker.record_failure("timeout")
    assert breaker.state == "open" and breaker.times_opened == 2
    clock.now += 29
    with pytest.raises(FrontLooksDownError):
        breaker.before_call()


def test_a_probe_that_ended_without_a_verdict_lets_another_probe_go(fake_time):
    clock = fake_time
    breaker = CircuitBreaker(1, 10, clock.monotonic)
    breaker.record_failure("timeout")
    clock.now += 10
    breaker.before_call()
    breaker.release_probe()
    breaker.before_call()  # does not raise
