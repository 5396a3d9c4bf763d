"""The soak's recovery actions (docs/runbook.md "Data recovery"), done while the sync runs, and their outcomes.

  * `airflow backfill create --reprocess-behavior completed` over the incremental intervals that hold the most
    merges, creations of comments deleted since and messages of conversations merged away since;
  * the conversations watermark set back to before the oldest of those (the runbook's re-sync from a point in time);
  * front_sync_replay of every dead letter (after a window of events without an id, which are dead-lettered);
  * front_sync_full (the re-listing) while conversations are bumped to the top of `/conversations` under it.
Each records what it did in `Soak.actions`; `action_outcomes` adds how it ended (run states, what it changed).
"""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from .infra import SoakError, wait_for

WATERMARK = "front_sync.watermark.conversations"
MESSAGE_EVENTS = ("inbound", "outbound", "out_reply")
# Listing pages of /conversations slowed during the re-listing, so bumps land while it pages.
SLOW_LISTING = [{"name": "slow_conversation_pages", "endpoint": "/conversations", "kind": "latency", "seconds": 2.0}]
BAD_EVENTS = [
    {
        "name": "events_missing_id",
        "endpoint": "/events",
        "kind": "bad_records",
        "variant": "missing_id",
        "probability": 0.5,
    }
]


class RecoveryActions:
    """Timetable steps (mixed into harness.Soak): each uses self.site, self.control, self.mutator, self.note."""

    actions: list[dict[str, Any]]

    def interesting_moments(self) -> list[tuple[float, str]]:
        """(epoch, kind) of the soak's events a re-application can turn back: merges, creations of comments deleted
        since, messages of conversations merged away since (the seeded history before the soak is left out)."""
        events = self.control.truth("events")["_results"]
        merged = self.control.truth("merges").get("conversations") or {}
        deleted = set(self.mutator.deleted_comments) if self.mutator else set()
        out = []
        for event in events:
            if float(event.get("emitted_at") or 0) < self.soak_started_wall:
                continue
            target = (event.get("target") or {}).get("data") or {}
            conversation = (event.get("conversation") or {}).get("id")
            if event.get("type") == "conversations_merged":
                out.append((float(event["emitted_at"]), "merge"))
            elif event.get("type") == "comment" and target.get("id") in deleted:
                out.append((float(event["emitted_at"]), "deleted_comment_created"))
            elif event.get("type") in MESSAGE_EVENTS and conversation in merged:
                out.append((float(event["emitted_at"]), "message_of_merged_away"))
        return sorted(out)

    def refetch_backfill_starts(self) -> list[float]:
        """Epochs of the successful front_sync_backfill runs that re-fetch every conversation's children."""
        return [
            r[0].timestamp()
            for r in self.site.query(
                "SELECT start_date, conf FROM dag_run WHERE dag_id = 'front_sync_backfill' AND state = 'success' "
                "AND start_date IS NOT NULL"
            )
            if _refetches_children(r[1])
        ]

    # -- airflow backfill create over intervals with merges and deleted comments --

    def step_backfill_create(self, intervals: int, wait: float = 0) -> None:
        """`airflow backfill create --reprocess-behavior completed` over the `intervals` consecutive scheduled
        intervals of the incremental DAG (whether they ran or not: `completed` reprocesses those that did) holding the
        most moments a re-application can turn back; when there are none yet (waiting up to `wait` seconds for one),
        the interval just before the first run (old, never run, nothing to turn back)."""
        step = self.incremental_step()
        moments: list[tuple[float, str]] = []
        with contextlib.suppress(SoakError):
            moments = wait_for(
                "a merge or a deleted comment's creation in a past interval",
                lambda: self.past_moments(step),
                max(wait, 0.1),
                self.deadline,
                2,
            )
        contains: dict[str, int] = {}
        if moments:
            slots = sorted({int(at // step) for at, _ in moments})
            best = max(slots, key=lambda first: sum(1 for at, _ in moments if first <= at // step < first + intervals))
            last = min(best + intervals - 1, int(time.time() // step) - 1)  # only intervals already over
            for at, kind in moments:
                if best <= at // step <= last:
                    contains[kind] = contains.get(kind, 0) + 1
            start, end = (datetime.fromtimestamp(slot * step, UTC) for slot in (best, last))
            kind = "the intervals with the most merges and deleted comments (reprocessed)"
        else:
            first = self.site.query(
                "SELECT min(data_interval_start) FROM dag_run "
                "WHERE dag_id = 'front_sync_incremental' AND run_type = 'scheduled'"
            )[0]
            if first[0] is None:
                raise SoakError("the incremental DAG has no scheduled run yet")
            start = end = first[0] - timedelta(seconds=step)
            kind = "an old interval that never ran"
        args = [
            "backfill",
            "create",
            "--dag-id",
            "front_sync_incremental",
            "--from-date",
            start.isoformat(),
            "--to-date",
            end.isoformat(),
            "--reprocess-behavior",
            "completed",
            "--max-active-runs",
            "1",
        ]
        result = self.site.cli(*args, timeout=120)
        ids = self.site.query("SELECT id FROM backfill WHERE dag_id = 'front_sync_incremental' ORDER BY id")
        entry = {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "backfill_id": ids[-1][0] if ids else None,
            "kind": kind,
            "contains": contains,
            "cli_tail": result.stdout.strip()[-300:],
        }
        self.backfills.append(entry)
        self.actions.append({"action": "backfill_create", "t": round(self.clock(), 1), **entry})
        self.note(
            f"airflow backfill create over {kind}", **{k: entry[k] for k in ("from", "to", "backfill_id", "contains")}
        )

    def incremental_step(self) -> float:
        """The incremental DAG's interval length in seconds (its scheduled runs', else one minute)."""
        rows = self.site.query(
            "SELECT data_interval_end - data_interval_start FROM dag_run WHERE dag_id = "
            "'front_sync_incremental' AND run_type = 'scheduled' LIMIT 1"
        )
        return rows[0][0].total_seconds() if rows and rows[0][0] else 60.0

    def past_moments(self, step: float) -> list[tuple[float, str]]:
        """interesting_moments() inside intervals that are already over (a backfill cannot run a future one)."""
        over = (time.time() // step) * step
        return [(at, kind) for at, kind in self.interesting_moments() if at < over]

    # -- the conversations watermark set back --

    def step_watermark_back(self) -> None:
        """Set the conversations watermark to just before the oldest merge or deleted comment's creation (the
        runbook's "re-sync from a point in time"), as an operator would with `airflow variables set`."""
        moments = self.interesting_moments()
        current = self.site.api("GET", f"/variables/{WATERMARK}")["value"]
        before = float(json.loads(current)["value"])
        # back, never forward: a watermark that has not reached those moments yet goes back a minute instead
        target = min((moments[0][0] - 1) if moments else self.soak_started_wall, before - 60)
        value = json.dumps({"value": f"{target:.3f}"})
        self.site.api("PATCH", f"/variables/{WATERMARK}", {"key": WATERMARK, "value": value})
        entry = {
            "action": "watermark_back",
            "t": round(self.clock(), 1),
            "at": time.time(),
            "before": f"{before:.3f}",
            "set_to": f"{target:.3f}",
        }
        self.actions.append(entry)
        self.note("conversations watermark set back", before=entry["before"], set_to=entry["set_to"])

    # -- replay of dead letters --

    def step_replay(self) -> None:
        """front_sync_replay of every dead letter (no params: all resources), as the runbook says."""
        dead = dict(
            self.wh("SELECT resource, count(*) FROM front.dead_letters WHERE replayed_at IS NULL GROUP BY resource")
        )
        self.site.unpause("front_sync_replay")
        run_id = self.trigger("front_sync_replay")
        self.actions.append(
            {"action": "replay", "t": round(self.clock(), 1), "run_id": run_id, "dead_letters_before": dead}
        )
        self.note("front_sync_replay triggered (all dead letters)", run_id=run_id, dead_letters=dead)

    # -- the re-listing while conversations are bumped --

    def step_relist_bumped(self, bumps: int, timeout: float) -> None:
        """Trigger front_sync_full and, while its conversations listing pages (pages slowed), bump conversations
        to the top with new inbound messages; then which bumped conversations the listing soft-deleted."""
        self.faults.set("slow_listing", SLOW_LISTING, self.clock())
        try:
            run_id = self.trigger("front_sync_full")  # queued behind a full run already running (one at a time)
            wait_for(
                "the full run's conversations listing",
                lambda: self.task_state("front_sync_full", run_id, "sync_conversations") == "running",
                timeout,
                self.deadline,
                0.3,
            )
            bumped: list[str] = []
            for _ in range(bumps):
                bumped += self.control.mutate("new_inbound", count=2).get("ids") or []
                time.sleep(0.7)
            self.note("conversations bumped while front_sync_full lists them", run_id=run_id, bumped=bumped)
            state = wait_for(
                "the re-listing to finish",
                lambda: (
                    self.task_state("front_sync_full", run_id, "sync_conversations")
                    in ("success", "failed", "upstream_failed")
                    and self.task_state("front_sync_full", run_id, "sync_conversations")
                ),
                timeout * 2,
                self.deadline,
                1,
            )
        finally:
            self.faults.clear("slow_listing", self.clock())
        lost = [
            r[0]
            for r in self.wh(
                "SELECT id FROM front.conversations WHERE id = ANY(%s) AND deleted_at IS NOT NULL", (bumped,)
            )
        ]
        self.actions.append(
            {
                "action": "relist_while_bumped",
                "t": round(self.clock(), 1),
                "run_id": run_id,
                "listing_task": state,
                "bumped": len(set(bumped)),
                "bumped_soft_deleted_by_listing": lost,
            }
        )
        self.note("re-listing done", listing_task=state, bumped_soft_deleted=lost)

    def task_state(self, dag_id: str, run_id: str, task_id: str) -> str | None:
        rows = self.site.query(
            "SELECT state FROM task_instance WHERE dag_id = %s AND run_id = %s AND task_id = %s",
            (dag_id, run_id, task_id),
        )
        return rows[0][0] if rows else None

    # -- outcomes --

    def action_outcomes(self) -> list[dict[str, Any]]:
        """Each recovery action with how it ended."""
        out = []
        for entry in self.actions:
            item = dict(entry)
            if entry["action"] == "backfill_create":
                item["runs"] = dict(
                    self.site.query(
                        "SELECT state, count(*) FROM dag_run WHERE backfill_id = %s GROUP BY 1", (entry["backfill_id"],)
                    )
                )
                item["ok"] = bool(item["runs"].get("success")) and not item["runs"].get("failed")
            elif entry["action"] == "replay":
                item["state"] = self.run_state("front_sync_replay", entry["run_id"])
                item["dead_letters_unreplayed_after"] = dict(
                    self.wh("SELECT resource, count(*) FROM front.dead_letters WHERE replayed_at IS NULL GROUP BY 1")
                )
                item["ok"] = item["state"] == "success"
            elif entry["action"] == "watermark_back":
                after = self.wh(
                    "SELECT run_id, watermark_before::text, watermark_after::text, status, fetched, "
                    "stale FROM front.sync_logs WHERE dag_id = 'front_sync_incremental' AND resource = "
                    "'conversations' AND run_id NOT LIKE 'backfill%%' AND started_at > to_timestamp(%s) "
                    "ORDER BY id LIMIT 1",
                    (entry["at"],),
                )
                item["next_run"] = list(after[0]) if after else None
                item["ok"] = bool(after) and after[0][3] == "success"
            elif entry["action"] == "relist_while_bumped":
                item["ok"] = item["listing_task"] == "success" and not item["bumped_soft_deleted_by_listing"]
            out.append(item)
        return out


def _refetches_children(conf: Any) -> bool:
    """Whether a backfill run's conf asked for every conversation's children (a JSON object, text or None)."""
    if isinstance(conf, str | bytes):
        try:
            conf = json.loads(conf)
        except ValueError:
            return False
    return isinstance(conf, dict) and conf.get("refetch_children") is True
