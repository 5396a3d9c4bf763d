"""The conversation sync tasks: changes (events or listing), the nightly re-listing, the sub-resources queue consumers
and the backfill. Generic SyncTask machinery lives in operators.py."""

from __future__ import annotations

import logging
import re
import uuid
from contextlib import closing
from decimal import Decimal
from typing import Any

from airflow.sdk import Asset, Variable
from airflow.sdk.exceptions import AirflowFailException

from front_sync.config import read_config
from front_sync.resources import CONVERSATIONS, get_resource
from front_sync.sync import backfill, conversation_changes, logtext, resync, sub_resources, watermarks
from front_sync.sync.operators import SyncTask
from front_sync.sync.run_plan import RunKind, WatermarkUse
from front_sync.sync.window import epoch
from front_sync.warehouse import checkpoints, known, pending
from front_sync.warehouse.connection import warehouse_connection
from front_sync.warehouse.prepare import View
from front_sync.warehouse.reconcile import database_clock, reconcile_deletions

log = logging.getLogger(__name__)
CONVERSATION_ID = re.compile(r"^cnv_[0-9a-z]+$")


class ConversationChangesOperator(SyncTask):
    """Finds changed conversations (Events API, or the listing strategy), loads them, queues their sub-resources.

    With no conversations watermark yet (a fresh install with only the hourly DAG on), the first run starts the
    initial load: it marks where the change feed takes over (the watermark), then lists every conversation,
    checkpointed per batch; a killed or timed-out run's successor goes on from the checkpoint before it reads
    events. Messages and comments of the initial load wait in the queue behind the hourly changes.
    With the DAG param `resync_from` (a point in time), the run first prepares a re-sync from it (sync/resync.py).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(kind=RunKind.INCREMENTAL, **kwargs)

    def execute(self, context) -> dict[str, Any]:
        point = (context.get("params") or {}).get("resync_from")
        if point:
            self._prepare_resync(context, resync.parse_point(point))
        return super().execute(context)

    def _prepare_resync(self, context, point: Decimal) -> None:
        """Set the watermark back, forget the events applied since, queue the sub-resources changed since."""
        config = read_config(Variable, self.tenant)
        with closing(warehouse_connection(self.warehouse_conn_id)) as conn:
            resync.resync_from(
                conn,
                Variable,
                point,
                context["run_id"],
                overlap_seconds=config.overlap_seconds,
                on_change=self.watermark_recorder(context, conn, CONVERSATIONS.name, "reset"),
                tenant=self.tenant,
            )

    def sync(self, context, conn, front, config, plan, outcome) -> None:
        cap = config.cap("conversations")
        dag_id = context["ti"].dag_id
        lower = plan.window.lower
        if config.conversation_strategy == "events":
            lower = self._initial_load(context, conn, front, config, plan, outcome)
            result = conversation_changes.from_events(
                front,
                conn,
                context["run_id"],
                max(lower, Decimal(0)),
                plan.window.upper,
                batch_pages=config.batch_pages,
                cap=cap,
                on_cursor=outcome.move_cursor,
                since=lower + config.overlap_seconds,
                skip_applied=plan.skip_applied_events,
            )
        else:
            key = checkpoints.CheckpointKey(dag_id, CONVERSATIONS.name, "listing")
            result = conversation_changes.from_listing(
                front,
                conn,
                context["run_id"],
                lower,
                batch_pages=config.batch_pages,
                cap=cap,
                key=key,
                on_cursor=outcome.move_cursor,
            )
        outcome.absorb(result.loaded, result.fetched, cursor=False)  # the cursor is the feed's, not updated_at
        outcome.move_cursor(result.cursor)
        outcome.capped = result.capped
        outcome.counts["deleted"] += result.merged_away
        outcome.metadata.update(
            strategy=config.conversation_strategy,
            events=result.events,
            merged_away=result.merged_away,
            queued=dict(result.queued),
            already_applied_events=result.already_applied,
            carried_by_events=dict(result.carried),
            carried_outcomes={k: int(v) for k, v in result.carried_loaded.counts.items() if v},
        )

    def _initial_load(self, context, conn, front, config, plan, outcome) -> Decimal:
        """Start or go on with the initial load when one is due (the plan lists every conversation: no watermark
        yet); returns where to read events from."""
        key = checkpoints.CheckpointKey(context["ti"].dag_id, CONVERSATIONS.name, "initial_load")
        lower = plan.window.lower
        if plan.complete_listing:
            start = plan.window.upper if plan.window.upper is not None else epoch(context["dag_run"].run_after)
            if checkpoints.load(conn, key) is None:
                checkpoints.save(conn, key, {"segment": 0, "next": None}, context["run_id"])
            watermarks.initialise(
                Variable,
                CONVERSATIONS.name,
                start,
                context["run_id"],
                f"{start:.3f}",
                on_change=self.watermark_recorder(context, conn, CONVERSATIONS.name, "initialised"),
                tenant=self.tenant,
            )
            log.warning(
                "No conversations watermark yet: initial load of every conversation; the change feed takes over at %s",
                logtext.stamp(start),
            )
            lower = start - config.overlap_seconds
        if checkpoints.load(conn, key) is not None:
            loaded = backfill.run(
                front, conn, key, backfill.BackfillScope(), context["run_id"], batch_pages=config.batch_pages
            )
            outcome.absorb(loaded.loaded, loaded.fetched_now, cursor=False)
            outcome.metadata.update(
                initial_load={"conversations": loaded.fetched, "batches": loaded.batches, "resumed": loaded.resumed}
            )
            checkpoints.clear(conn, key)
        return lower


class ConversationListingOperator(SyncTask):
    """The nightly re-listing of every conversation (one call per 100): changes that emit no event (a tag renamed, a
    contact renamed inside a conversation's recipients) converge within a day, conversations Front no longer lists
    are soft-deleted, and the sub-resources of conversations changed since their last fetch are queued.

    Checkpointed per batch like the backfill (a retry resumes); deletions are reconciled only after a listing that
    one try ran from start to end. It never touches the conversations watermark (the change feed owns it).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(resource=CONVERSATIONS.name, kind=RunKind.FULL, **kwargs)

    def sync(self, context, conn, front, config, plan, outcome) -> None:
        key = checkpoints.CheckpointKey(context["ti"].dag_id, CONVERSATIONS.name, "relisting")
        seen: set[str] = set()
        started = database_clock(conn)
        view = View.requested_now()  # the re-listing's start: a conversation Front moved since is not deleted
        result = backfill.run(
            front,
            conn,
            key,
            backfill.BackfillScope(),
            context["run_id"],
            batch_pages=config.batch_pages,
            priority=plan.priority,
            seen=seen,
        )
        outcome.absorb(result.loaded, result.fetched_now, cursor=False)
        checkpoints.clear(conn, key)
        outcome.metadata.update(queued=dict(result.queued), resumed=result.resumed, complete_listing=not result.resumed)
        if result.resumed:
            log.warning(
                "conversations: this listing resumed an earlier try's, so it cannot tell which conversations "
                "Front no longer lists; deletions are reconciled by the next complete re-listing"
            )
            return
        reconciled = reconcile_deletions(
            conn, CONVERSATIONS, seen, context["run_id"], listing_started=started, view_at=view.at
        )
        outcome.counts["deleted"] += reconciled.deleted
        outcome.counts["restored"] += reconciled.restored


class SubResourcesOperator(SyncTask):
    """Works the sync_pending queue of one sub-resource (messages or comments) with a few parallel fetches.

    Several of these may run at once (hourly, backfill, on demand): each claims its conversations, most urgent
    first; an on-demand run queues and fetches only its own ids. A long drain stops by itself at 80 % of the
    task's execution_timeout; what is left waits for the next run.

    Args:
        conversation_ids: ids to queue first (the on-demand DAG); templated.
    """

    template_fields = ("resource", "conversation_ids")

    def __init__(self, *, conversation_ids: Any = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.conversation_ids = conversation_ids

    def sync(self, context, conn, front, config, plan, outcome) -> None:
        resource = get_resource(self.resource)
        only = None
        if self.conversation_ids:
            _check_conversation_ids(self.conversation_ids)
            only = sorted(set(self.conversation_ids))
            with conn.cursor() as cur:
                pending.enqueue(cur, resource.name, only, context["run_id"], plan.priority)
            conn.commit()
        if not plan.only_requested:
            only = None
        result = self.drain(context, conn, front, config, resource, plan.priority, only)
        outcome.absorb(result.loaded, result.fetched)
        outcome.capped = result.capped
        outcome.counts["deleted"] += result.records_deleted
        outcome.metadata.update(
            conversations=result.conversations,
            merged=result.merged,
            missing=result.missing,
            failed_conversations=result.failed,
            out_of_time=result.out_of_time,
            dead_lettered_conversations=result.dead_lettered_conversations,
            lost_leases=result.lost_leases,
            still_queued=pending.count(conn, resource.name, only),
        )

    def drain(
        self, context, conn, front, config, resource, priority: pending.Priority, only: list[str] | None
    ) -> sub_resources.DrainResult:
        """Work the queue as this task try (of `only`, when given), after freeing an earlier try's claims."""
        who = self.identity(context)
        settings = sub_resources.DrainSettings(
            worker=f"{who.dag_id}/{who.task_id}/{who.run_id}/{who.try_number}/{uuid.uuid4().hex[:8]}",
            priority=priority,
            workers=front.settings.max_workers,
            lease_seconds=config.queue_lease_seconds,
            max_attempts=config.queue_max_attempts,
            retry_after_seconds=config.queue_retry_seconds,
            cap=config.cap(resource.name),
            deadline=self.deadline(),
            only=only,
            band=(pending.Priority.VERIFY,) * 2
            if priority == pending.Priority.VERIFY
            else (pending.Priority.ON_DEMAND, pending.Priority.BACKFILL),
        )
        freed = pending.release_earlier_tries(
            conn, resource.name, f"{who.dag_id}/{who.task_id}/{who.run_id}/", settings.worker
        )
        if freed:
            log.info(
                "%s: %d conversation(s) claimed by an earlier try of this task are free again", resource.name, freed
            )
        return sub_resources.drain(front, conn, resource, context["run_id"], settings)


class VerifySubResourcesOperator(SubResourcesOperator):
    """The nightly rolling verification (issue 19): re-fetches the messages or comments of tonight's slice of
    conversations (about 1/verify_days of all, plus any not verified for verify_days), so what no event announced
    (a deleted comment or draft, a contact renamed inside recipients) converges within verify_days. Its sync_logs
    row (metadata.verify) counts the conversations verified and the rows it repaired (created, updated, deleted).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(kind=RunKind.VERIFICATION, **kwargs)

    def sync(self, context, conn, front, config, plan, outcome) -> None:
        resource = get_resource(self.resource)
        end = context.get("data_interval_end") or context["dag_run"].run_after
        night = int(epoch(end) // 86_400)
        due = known.verification_due(conn, resource.name, config.verify_days, night)
        with conn.cursor() as cur:
            pending.enqueue(cur, resource.name, due, context["run_id"], plan.priority)
        conn.commit()
        # Every verification request, not only tonight's: earlier nights' leftovers too, including conversations
        # merged away or deleted since (no longer due, they would stay queued for good).
        result = self.drain(context, conn, front, config, resource, plan.priority, None)
        outcome.absorb(result.loaded, result.fetched)
        outcome.capped = result.capped
        outcome.counts["deleted"] += result.records_deleted
        counts = result.loaded.counts
        outcome.metadata.update(
            verify={
                "verify_days": config.verify_days,
                "slice": night % config.verify_days,
                "due": len(due),
                "verified": result.conversations,
                "merged": result.merged,
                "missing": result.missing,
                "failed": result.failed,
                "lost_leases": result.lost_leases,
                "repaired": counts["created"] + counts["updated"] + result.records_deleted,
                "still_queued": pending.count(conn, resource.name, due) if due else 0,
            }
        )
        log.info(
            "%s: verified %d of %d conversation(s) due tonight (verify_days=%d); %d row(s) repaired",
            resource.name,
            result.conversations,
            len(due),
            config.verify_days,
            outcome.metadata["verify"]["repaired"],
        )


def _check_conversation_ids(ids: Any) -> None:
    """Refuse anything but a list of cnv_ ids before any API call (the Params form checks it too)."""
    if not isinstance(ids, list | tuple) or not all(isinstance(i, str) and CONVERSATION_ID.match(i) for i in ids):
        raise AirflowFailException(f"conversation_ids must be a list of Front conversation ids (cnv_...), got {ids!r}")


class BackfillConversationsOperator(SyncTask):
    """Loads every conversation in scope (Params after/before/inbox_ids), checkpointed per batch, and queues
    their messages and comments; a retry, or any later run of the same scope, resumes from the checkpoint
    (Param restart=true starts over, on the run's first try only: its retries still resume)."""

    template_fields = ("resource", "scope_params")

    def __init__(self, *, scope_params: Any = None, **kwargs) -> None:
        super().__init__(resource=CONVERSATIONS.name, kind=RunKind.BACKFILL, **kwargs)
        self.scope_params = scope_params

    def sync(self, context, conn, front, config, plan, outcome) -> None:
        scope = backfill.BackfillScope.from_params(dict(self.scope_params or {}))
        started = getattr(context["dag_run"], "run_after", None)
        if plan.watermark_use is WatermarkUse.INITIALISE and started is not None:
            # Everything before this moment is the backfill's; the incremental DAG's events take over from here.
            watermarks.initialise(
                Variable,
                CONVERSATIONS.name,
                epoch(started),
                context["run_id"],
                str(started),
                on_change=self.watermark_recorder(context, conn, CONVERSATIONS.name, "initialised"),
                tenant=self.tenant,
            )
        # Keyed by scope, not run: a retry, a cleared task or a new run of the same scope resumes unfinished work.
        key = checkpoints.CheckpointKey(context["ti"].dag_id, CONVERSATIONS.name, scope.fingerprint())
        if (self.scope_params or {}).get("restart") and context["ti"].try_number <= 1:
            checkpoints.clear(conn, key)
        result = backfill.run(
            front,
            conn,
            key,
            scope,
            context["run_id"],
            batch_pages=config.batch_pages,
            priority=plan.priority,
            refetch_children=bool((self.scope_params or {}).get("refetch_children")),
        )
        outcome.absorb(result.loaded, result.fetched_now)
        outcome.metadata.update(
            batches=result.batches,
            resumed=result.resumed,
            conversations_total=result.fetched,
            queued=dict(result.queued),
        )
        checkpoints.clear(conn, key)


def sub_resource_task(name: str, kind: RunKind, pool: str) -> SubResourcesOperator:
    """The task that fetches one per-conversation resource (`sync_<name>`) in a DAG of `kind`, as every DAG wires it:
    the tenant's pool, the resource's priority and its Asset."""
    return SubResourcesOperator(
        task_id=f"sync_{name}",
        resource=name,
        kind=kind,
        pool=pool,
        priority_weight=get_resource(name).priority,
        outlets=[Asset(f"front_sync.{name}")],
    )
