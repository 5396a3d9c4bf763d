"""Benchmark: the warehouse loader (transform + COPY + conflict rules + nested rows) from in-memory Front records.

Starts a throwaway PostgreSQL with scripts/pg_start.sh (stopped at the end), then runs each scenario in its own
Python process so that its peak RSS is its own:

- contacts: N Front-shaped contacts (1-2 handles each) built in memory first, then loaded into an empty table in
  batches with ``load.load_batches`` (the next batch is transformed while the current one is written; run
  `repeat` times, the median is the headline) and, for comparison, with ``load.load_batch`` one batch after the
  other; then the same records again (all unchanged) and a newer version of each (all updated, handles
  replaced). Rate = contact rows + handle rows per second; CPU per contact of this process and of PostgreSQL.
- bare COPY of the same records, for comparison (target: the pipelined loader within 1.6x of it): each batch's
  rows built the plainest way (typed columns, bookkeeping, raw JSON: the same readers) and COPYed in binary into
  empty twin tables (LIKE the targets, INCLUDING ALL), one commit per batch; no classification, staging, keys,
  savepoints or read-ahead. Also timed: the COPY alone of prebuilt rows, in binary and in text format.
- messages: M messages (2-4 recipients, attachments on one in two, a 1-2 kB HTML body and its text, emoji or
  another script in one in ten) generated batch by batch and loaded with ``load.load_batches``; peak RSS of the
  process (getrusage) and rows per second.

Writes bench/results/bench_loader.json (name, parameters, figures, machine) and prints a table.

    .venv/bin/python bench/bench_loader.py [--contacts 200000] [--messages 1000000] [--batch-size 10000]
                                           [--message-batch-size 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from front_sync.resources import CONTACTS, MESSAGES, transform
from front_sync.warehouse import load, migrations
from front_sync.warehouse.prepare import View, prepare_batch
from front_sync_testing.bench.machine import machine as shared_machine
from front_sync_testing.bench.records import contact, message_batches

ROOT = Path(__file__).resolve().parents[1]

RESULTS = ROOT / "bench" / "results" / "bench_loader.json"
# -- scenarios (each runs in its own process) --------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def connect(url: str):
    import psycopg

    return psycopg.connect(url)  # manual commit, like warehouse_connection


def backend_cpu_seconds(conn) -> float:
    """CPU time used so far by the connection's PostgreSQL backend (the server is local: /proc)."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    conn.commit()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_load(
    conn, name: str, chunks: list[list[dict[str, Any]]], rows: int, *, pipelined: bool, table_empty: bool
) -> dict[str, Any]:
    """Load the contacts of `chunks` (emptying the tables first when `table_empty`): time, rates, CPU, counts."""
    n = sum(len(chunk) for chunk in chunks)
    if table_empty:
        with conn.cursor() as cur:
            cur.execute("TRUNCATE front.contacts, front.contact_handles, front.contact_list_members")
        conn.commit()
    counts: Counter = Counter()
    cpu_before, pg_before = own_cpu_seconds(), backend_cpu_seconds(conn)
    started = time.perf_counter()
    view = View.requested_now()  # as a listing run passes it: the request's start is every record's observation
    if pipelined:
        for result in load.load_batches(conn, CONTACTS, ((c, None) for c in chunks), f"bench-{name}", view=view):
            counts.update(result.counts)
    else:
        history = load.LoadHistory()  # one stream of batches, as a backfill run passes it
        for chunk in chunks:
            counts.update(load.load_batch(conn, CONTACTS, chunk, f"bench-{name}", history=history, view=view).counts)
    seconds = time.perf_counter() - started
    python_cpu, postgres_cpu = own_cpu_seconds() - cpu_before, backend_cpu_seconds(conn) - pg_before
    return {
        "scenario": name,
        "seconds": round(seconds, 3),
        "rows": rows,
        "rows_per_second": round(rows / seconds),
        "contacts_per_second": round(n / seconds),
        "python_cpu_us_per_contact": round(python_cpu / n * 1e6, 1),
        "postgres_cpu_us_per_contact": round(postgres_cpu / n * 1e6, 1),
        "counts": {k: v for k, v in counts.items() if v},
    }


def run_contacts(url: str, n: int, batch_size: int, repeat: int) -> dict[str, Any]:
    conn = connect(url)
    first = [contact(i) for i in range(n)]
    newer = [contact(i, version=1) for i in range(n)]
    # The input is built up front (the scenario measures the loader, not a record source); keep the garbage
    # collector from rescanning these hundreds of thousands of static dicts, as it never would for records
    # streamed from Front and dropped after their batch.
    gc.freeze()
    rows = sum(1 + len(c["handles"]) for c in first)
    batches = [first[s : s + batch_size] for s in range(0, n, batch_size)]

    started = time.perf_counter()
    for batch in batches:
        prepare_batch(CONTACTS, batch, "bench")
    transform_seconds = time.perf_counter() - started

    def timed(name: str, records: list[dict[str, Any]], pipelined: bool, table_empty: bool) -> dict[str, Any]:
        return timed_load(
            conn,
            name,
            [records[s : s + batch_size] for s in range(0, n, batch_size)],
            rows,
            pipelined=pipelined,
            table_empty=table_empty,
        )

    # Each pipelined initial load is followed by the bare COPY variants, so that a change in the machine's load
    # (other work beside the benchmark) hits both sides of the loader / bare COPY ratio alike.
    bare_tables = twin_tables(conn)
    initial, bare_runs = [], {name: [] for name in BARE_VARIANTS}
    for _ in range(repeat):
        initial.append(timed("initial load, load_batches (pipelined)", first, pipelined=True, table_empty=True))
        for name, (binary, prebuilt) in BARE_VARIANTS.items():
            bare_runs[name].append(bare_copy(conn, bare_tables, batches, binary=binary, prebuilt=prebuilt))
    headline = sorted(initial, key=lambda row: row["rows_per_second"])[len(initial) // 2]
    figures = [
        timed("initial load, load_batch one after the other", first, pipelined=False, table_empty=True),
        {**headline, "scenario": f"{headline['scenario']}, median of {repeat}"},
        timed("same records again (all unchanged)", first, pipelined=True, table_empty=False),
        timed("newer version of each (all updated)", newer, pipelined=True, table_empty=False),
    ]
    conn.close()
    bare = {name: median_figure(runs, rows) for name, runs in bare_runs.items()}
    ratios = sorted(
        loaded["seconds"] / bare_seconds
        for loaded, bare_seconds in zip(initial, bare_runs["transform_and_binary_copy"], strict=True)
    )
    return {
        "contacts": n,
        "rows": rows,
        "transform_only_rows_per_second": round(rows / transform_seconds),
        "initial_load_rows_per_second_each_run": [row["rows_per_second"] for row in initial],
        "initial_load_rows_per_second": headline["rows_per_second"],
        "scenarios": figures,
        "bare_copy": bare,
        "loader_vs_bare_copy_each_run": [round(x, 2) for x in ratios],
        "loader_vs_bare_copy": round(ratios[len(ratios) // 2], 2),
        "loader_vs_copy_only": round(headline["seconds"] / bare["binary_copy_only"]["seconds"], 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


# -- the bare COPY baseline (independent of the loader's write path) -----------------------------------------


def bare_rows(records: list[dict[str, Any]], run_id: str) -> tuple[list[tuple], list[list[tuple]]]:
    """The rows the loader writes for these records, built the plainest way: typed columns, bookkeeping, raw."""
    parents: list[tuple] = []
    nested: list[list[tuple]] = [[] for _ in CONTACTS.nested]
    version = CONTACTS.columns.index(CONTACTS.version_column)  # the view time (view_at) is updated_at
    observed_at = View.requested_now().at  # when the view was observed (the version rule's tie-break)
    for record in records:
        values = CONTACTS.row(record)
        raw, digest = transform.raw_and_hash(record)
        parents.append((*values, None, digest, run_id, values[version], observed_at, raw))
        for rows, table in zip(nested, CONTACTS.nested, strict=True):
            rows.extend((values[0], *row) for row in table.rows(record))
    return parents, nested


def twin_tables(conn) -> list[tuple[str, tuple[str, ...]]]:
    """Empty twins of contacts and its nested tables in schema bench_twin; returns (table, COPY columns) each."""
    from front_sync.warehouse.prepare import copy_columns

    tables = [("contacts", copy_columns(CONTACTS))]
    tables += [(table.table, (table.parent_column, *table.columns)) for table in CONTACTS.nested]
    with conn.cursor() as cur:
        cur.execute("CREATE SCHEMA IF NOT EXISTS bench_twin")
        for table, _ in tables:
            cur.execute(f"CREATE TABLE IF NOT EXISTS bench_twin.{table} (LIKE front.{table} INCLUDING ALL)")
    conn.commit()
    return tables


def copy_into_twins(conn, tables, rows_of_tables: list[list[tuple]], binary: bool) -> None:
    """COPY one batch's rows into the twin tables (psycopg 3 write_row) and commit."""
    from psycopg import postgres
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    class JsonText(Dumper):
        """Encoded JSON as it is: jsonb in binary (version byte first), raw bytes in text format."""

        format = Format.BINARY if binary else Format.TEXT
        oid = postgres.types["jsonb"].oid

        def dump(self, obj):
            data = obj if obj.__class__ is bytes else obj.encode()
            return b"\x01" + data if binary else data

    with conn.cursor() as cur:
        cur.adapters.register_dumper(None if binary else bytes, JsonText)
        for (table, names), rows in zip(tables, rows_of_tables, strict=True):
            if not rows:
                continue
            cur.execute(
                "SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = %s::regclass "
                "AND attnum > 0 AND NOT attisdropped",
                (f"bench_twin.{table}",),
            )
            types = dict(cur.fetchall())
            statement = f"COPY bench_twin.{table} ({', '.join(names)}) FROM STDIN" + (" (FORMAT BINARY)" * binary)
            with cur.copy(statement) as copy:
                if binary:
                    copy.set_types([types[name] for name in names])
                for row in rows:
                    copy.write_row(row)
    conn.commit()


def bare_copy(conn, tables, batches: list[list[dict[str, Any]]], *, binary: bool, prebuilt: bool) -> float:
    """Seconds to COPY every batch into the emptied twins; the rows are built inside the timing unless `prebuilt`."""
    with conn.cursor() as cur:
        cur.execute("TRUNCATE " + ", ".join(f"bench_twin.{table}" for table, _ in tables))
    conn.commit()
    built = [bare_rows(batch, "bench-bare") for batch in batches] if prebuilt else None
    gc.collect()
    started = time.perf_counter()
    for index, batch in enumerate(batches):
        parents, nested = built[index] if built else bare_rows(batch, "bench-bare")
        copy_into_twins(conn, tables, [parents, *nested], binary)
    return time.perf_counter() - started


# variant -> (binary format, rows prebuilt outside the timing)
BARE_VARIANTS = {
    "transform_and_binary_copy": (True, False),
    "binary_copy_only": (True, True),
    "text_copy_only": (False, True),
}


def median_figure(runs: list[float], rows: int) -> dict[str, Any]:
    """Median seconds and rows per second of some runs."""
    seconds = sorted(runs)[len(runs) // 2]
    return {
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds),
        "each_run_seconds": [round(x, 3) for x in runs],
    }


def run_messages(url: str, n: int, batch_size: int, repeat: int) -> dict[str, Any]:
    conn = connect(url)
    counts: Counter = Counter()
    started = time.perf_counter()
    for result in load.load_batches(conn, MESSAGES, message_batches(n, batch_size), "bench-messages"):
        counts.update(result.counts)
    seconds = time.perf_counter() - started
    with conn.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM front.messages), (SELECT count(*) FROM front.message_recipients),"
            " (SELECT count(*) FROM front.message_attachments), pg_total_relation_size('front.messages')"
        )
        messages, recipients, attachments, size = cur.fetchone()
    conn.close()
    rows = messages + recipients + attachments
    return {
        "messages": messages,
        "recipients": recipients,
        "attachments": attachments,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "messages_per_second": round(messages / seconds),
        "messages_table_mb": round(size / 2**20),
        "counts": {k: v for k, v in counts.items() if v},
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


# -- orchestration -------------------------------------------------------------------------------------------


def start_postgres() -> tuple[str, str]:
    datadir = tempfile.mkdtemp(prefix="front-sync-pg.")
    out = subprocess.run([str(ROOT / "scripts" / "pg_start.sh"), datadir], capture_output=True, text=True, check=True)
    return datadir, out.stdout.strip().splitlines()[-1]


def scenario_in_subprocess(name: str, url: str, size: int, batch_size: int, repeat: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--run",
            name,
            "--url",
            url,
            "--size",
            str(size),
            "--batch-size",
            str(batch_size),
            "--repeat",
            str(repeat),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine(url: str) -> dict[str, Any]:
    """The shared machine figures, plus RAM, load, and the PostgreSQL server and settings the loads ran on."""
    import psutil

    conn = connect(url)
    with conn.cursor() as cur:
        cur.execute("SHOW server_version")
        server = cur.fetchone()[0]
    conn.close()
    return {
        **shared_machine(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "postgresql": server,
        "postgresql_settings": "fsync=off, synchronous_commit=off, full_page_writes=off (scripts/pg_start.sh)",
    }


def print_table(report: dict[str, Any]) -> None:
    contacts, messages = report["figures"]["contacts"], report["figures"]["messages"]
    print(
        f"\nLoader benchmark ({report['machine']['cpus']} CPUs, PostgreSQL {report['machine']['postgresql']}, "
        f"batches of {report['parameters']['batch_size']})"
    )
    print(
        f"  {'scenario':60} {'seconds':>8} {'rows/s':>9} {'contacts/s':>11} {'CPU us/contact: python':>23} "
        f"{'postgres':>9}"
    )
    for row in contacts["scenarios"]:
        print(
            f"  {row['scenario']:60} {row['seconds']:8.2f} {row['rows_per_second']:9,} "
            f"{row['contacts_per_second']:11,} {row['python_cpu_us_per_contact']:23} "
            f"{row['postgres_cpu_us_per_contact']:9}"
        )
    print(f"  {'transform only (no database)':60} {'':8} {contacts['transform_only_rows_per_second']:9,}")
    labels = {
        "transform_and_binary_copy": "bare COPY (rows built, binary)",
        "binary_copy_only": "bare COPY of prebuilt rows, binary",
        "text_copy_only": "bare COPY of prebuilt rows, text",
    }
    for name, label in labels.items():
        row = contacts["bare_copy"][name]
        label = f"{label}, median of {len(row['each_run_seconds'])}"
        print(f"  {label:60} {row['seconds']:8.2f} {row['rows_per_second']:9,}")
    print(
        f"  loader / bare COPY, each run: {contacts['loader_vs_bare_copy_each_run']}; median "
        f"{contacts['loader_vs_bare_copy']}x (target <= 1.6x); "
        f"/ binary COPY of prebuilt rows: {contacts['loader_vs_copy_only']}x"
    )
    print(
        f"  contacts: {contacts['contacts']:,} contacts + handles = {contacts['rows']:,} rows; pipelined initial "
        f"loads: {', '.join(f'{x:,}' for x in contacts['initial_load_rows_per_second_each_run'])} rows/s"
    )
    print(
        f"\n  messages (batches of {report['parameters']['message_batch_size']}): {messages['messages']:,} messages, "
        f"{messages['recipients']:,} recipients, {messages['attachments']:,} attachments in "
        f"{messages['seconds']:,} s ({messages['rows_per_second']:,} rows/s, "
        f"{messages['messages_per_second']:,} messages/s)"
    )
    print(f"  peak RSS of the loading process: {messages['peak_rss_mb']} MB (target < 400 MB)")
    print(f"\n  results: {RESULTS.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=10_000, help="contacts per batch")
    parser.add_argument("--message-batch-size", type=int, default=2_000, help="messages per batch")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the pipelined initial contacts load")
    parser.add_argument("--run", choices=("contacts", "messages"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        runner = run_contacts if args.run == "contacts" else run_messages
        print(json.dumps(runner(args.url, args.size, args.batch_size, args.repeat)))
        return

    datadir, url = start_postgres()
    try:
        conn = connect(url)
        migrations.migrate(conn)
        conn.close()
        about = machine(url)
        figures = {
            "contacts": scenario_in_subprocess("contacts", url, args.contacts, args.batch_size, args.repeat),
            "messages": scenario_in_subprocess("messages", url, args.messages, args.message_batch_size, args.repeat),
        }
    finally:
        subprocess.run([str(ROOT / "scripts" / "pg_stop.sh"), datadir], capture_output=True, text=True)
    report = {
        "name": "bench_loader",
        "parameters": {
            "contacts": args.contacts,
            "messages": args.messages,
            "batch_size": args.batch_size,
            "message_batch_size": args.message_batch_size,
            "repeat": args.repeat,
            "command": f".venv/bin/python bench/bench_loader.py --contacts {args.contacts} "
            f"--messages {args.messages} --batch-size {args.batch_size} "
            f"--message-batch-size {args.message_batch_size} --repeat {args.repeat}",
        },
        "figures": figures,
        "targets": {"contact_rows_per_second": 50_000, "messages_peak_rss_mb": 400, "loader_vs_bare_copy": 1.6},
        "machine": about,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)


if __name__ == "__main__":
    main()
