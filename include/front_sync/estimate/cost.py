"""Turn an account sample into the calls and wall time of the initial load, a typical hourly run and the nightly
full run, by the rules the sync spends calls by (one listing call per page of ``page_limit``; events 15 per page;
sub-resources per conversation; the directory only every ``directory_refresh_minutes`` in the hourly DAG)."""

from __future__ import annotations

from dataclasses import dataclass, field

from front_sync.config import SyncConfig
from front_sync.estimate.sample import EVENTS_PAGE_LIMIT, AccountSample, pages_for


@dataclass(frozen=True)
class Line:
    """One cost: what it is, its API calls, and what the figure rests on."""

    what: str
    calls: float
    basis: str
    concurrent: bool = False  # fetched by the sub-resource tasks' worker threads


@dataclass
class Plan:
    """The budget the estimate prices calls at: the plan's rpm times the share front-sync may use."""

    rpm: float
    share: float
    workers: int
    seconds_per_call: float

    @property
    def per_minute(self) -> float:
        return self.rpm * self.share

    def minutes(self, lines: list[Line]) -> float:
        """Wall time: the rate budget bounds it, or the latency when the budget is generous (sub-resources run on
        `workers` threads, listings one page after another)."""
        calls = sum(line.calls for line in lines)
        by_budget = calls / self.per_minute if self.per_minute else 0.0
        serial = sum(line.calls for line in lines if not line.concurrent)
        parallel = sum(line.calls for line in lines if line.concurrent) / max(1, self.workers)
        return max(by_budget, (serial + parallel) * self.seconds_per_call / 60)


@dataclass
class Estimate:
    """The three runs' costs, the sample they rest on and the plan they are priced at."""

    sample: AccountSample
    plan: Plan
    initial: list[Line] = field(default_factory=list)
    hourly: list[Line] = field(default_factory=list)
    directory: list[Line] = field(default_factory=list)
    nightly: list[Line] = field(default_factory=list)
    directory_refresh_minutes: int = 360

    @staticmethod
    def calls(lines: list[Line]) -> int:
        return round(sum(line.calls for line in lines))


def estimate(sample: AccountSample, plan: Plan, config: SyncConfig) -> Estimate:
    """Price the sampled account; every line says what it rests on."""
    limit = sample.page_limit
    conversations, contacts = sample.conversations.value, sample.contacts.value
    listing = Line(
        "conversations listing",
        pages_for(conversations, limit),
        f"{conversations:,.0f} conversations ({sample.conversations.how}), {limit} per page",
    )
    per_conversation = [
        Line(
            f"{name} (per conversation)",
            conversations * pages,
            f"{conversations:,.0f} conversations x {pages:.2f} pages (mean of the sampled conversations)",
            concurrent=True,
        )
        for name, pages in sample.sub_resource_pages.items()
    ]
    contact_listing = Line(
        "contacts (full listing)",
        pages_for(contacts, limit),
        f"{contacts:,.0f} contacts ({sample.contacts.how}), {limit} per page",
    )
    heavy = sorted(sample.directory_pages.items(), key=lambda item: -item[1])[:3]
    directory = [
        Line(
            f"directory ({len(sample.directory_pages)} small resources)",
            sum(sample.directory_pages.values()),
            "listed in full by the sample; most pages: " + ", ".join(f"{n} {p}" for n, p in heavy),
        )
    ]
    hourly = _hourly(sample, config)
    result = Estimate(sample, plan, directory_refresh_minutes=config.directory_refresh_minutes)
    # The initial load: the backfill DAG, then the first hourly run lists contacts and the directory in full.
    result.initial = [
        listing,
        *per_conversation,
        contact_listing,
        *directory,
        *[h for h in hourly if "contacts" not in h.what],
    ]
    result.hourly = hourly
    result.directory = directory
    result.nightly = [listing, contact_listing, *directory]
    return result


def _hourly(sample: AccountSample, config: SyncConfig) -> list[Line]:
    """A typical hourly run: the events of an hour (plus the overlap read again), the conversations whose
    sub-resources no event carried, and the contacts updated in the hour."""
    stretch = (3600 + config.overlap_seconds) / 3600
    events = sample.events_per_hour.value * stretch
    lines = [
        Line(
            "events",
            pages_for(events, EVENTS_PAGE_LIMIT),
            f"{sample.events_per_hour.value:,.1f} events/h ({sample.events_per_hour.how}), "
            f"+{config.overlap_seconds} s overlap, {EVENTS_PAGE_LIMIT} per page",
        )
    ]
    for name, per_event in sample.fetches_per_event.items():
        fetched = sample.events_per_hour.value * per_event
        pages = sample.sub_resource_pages.get(name, 1.0)
        lines.append(
            Line(
                f"{name} fetched (merges, drafts, partial events)",
                fetched * pages,
                f"{fetched:,.1f} conversations/h x {pages:.2f} pages",
                concurrent=True,
            )
        )
    updated = sample.contacts_updated_per_hour.value * stretch
    lines.append(
        Line(
            "contacts updated",
            pages_for(updated, sample.page_limit),
            f"{sample.contacts_updated_per_hour.value:,.1f} contacts/h ({sample.contacts_updated_per_hour.how})",
        )
    )
    return lines


def _table(title: str, lines: list[Line], plan: Plan) -> list[str]:
    total = sum(line.calls for line in lines) or 1
    out = [f"{title}: {Estimate.calls(lines):,} calls, {_duration(plan.minutes(lines))}"]
    for line in sorted(lines, key=lambda item: -item.calls):
        out.append(f"  {line.calls:>10,.0f}  {100 * line.calls / total:5.1f} %  {line.what}: {line.basis}")
    return out


def _duration(minutes: float) -> str:
    if minutes < 1:
        return f"~{minutes * 60:.0f} s"
    if minutes < 120:
        return f"~{minutes:.0f} min"
    return f"~{minutes / 60:.1f} h"


def render(result: Estimate) -> str:
    """The report the CLI prints and the dry run logs (counts and figures only: no token, no record content)."""
    plan, sample = result.plan, result.sample
    lines = [
        f"Plan: {plan.rpm:g} rpm x share {plan.share:g} = {plan.per_minute:g} calls/min; "
        f"{plan.workers} workers; {plan.seconds_per_call * 1000:.0f} ms per call measured"
    ]
    if sample.scope_errors:
        lines.append("SCOPES MISSING (fix before the first load):")
        lines += [f"  {path}: {problem}" for path, problem in sorted(sample.scope_errors.items())]
    else:
        lines.append("Scopes: the token may read every endpoint the sync uses.")
    lines += _table("Initial load (backfill DAG + first hourly run)", result.initial, plan)
    lines += _table("Typical hourly run", result.hourly, plan)
    lines += _table(
        f"Directory refresh (hourly DAG every {result.directory_refresh_minutes} min, nightly always)",
        result.directory,
        plan,
    )
    lines += _table(
        "Nightly full run (before sub-resources of conversations changed without events)", result.nightly, plan
    )
    lines += [f"Note: {note}" for note in sample.notes]
    lines.append(f"This estimate made {sample.calls} read-only calls in {sample.seconds:.1f} s.")
    return "\n".join(lines)
