"""A real-time round stays short: its fetches are capped to about round_seconds of the task's API budget."""

from __future__ import annotations

import pytest

from front_sync.sync.realtime_operator import RealtimeApplyOperator


def test_a_round_fetches_about_round_seconds_of_the_budget_and_at_least_one():
    operator = RealtimeApplyOperator(task_id="apply_webhooks", round_seconds=5)
    assert operator.max_fetches(80) == 6  # 100 rpm x 0.8: 6 records in 5 s
    assert operator.max_fetches(1) == 1  # a tiny budget still makes progress
    assert operator.max_fetches(0) is None  # no budget set: no cap


@pytest.mark.parametrize(("setting", "value"), [("round_size", 0), ("round_seconds", 0)])
def test_a_round_setting_that_cannot_work_fails_when_the_dag_is_parsed(setting, value):
    with pytest.raises(ValueError, match=setting):
        RealtimeApplyOperator(task_id="apply_webhooks", **{setting: value})
