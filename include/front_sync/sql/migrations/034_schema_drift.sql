-- Schema drift: fields Front sends that no column reads (kept in raw only), and read fields Front stopped sending
-- (absent from every record of a batch). One row per resource, kind and field path, counted across batches;
-- reported_at says the full DAG has sent it to Slack (each new drift once). Field paths only, never values.

CREATE TABLE IF NOT EXISTS front.schema_drift (
    resource       text        NOT NULL,
    kind           text        NOT NULL CHECK (kind IN ('unmapped', 'missing')),
    field_path     text        NOT NULL,
    example_path   text        NOT NULL,
    records        bigint      NOT NULL DEFAULT 0,
    batches        bigint      NOT NULL DEFAULT 0,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    first_run_id   text,
    last_run_id    text,
    reported_at    timestamptz,
    PRIMARY KEY (resource, kind, field_path)
);
CREATE INDEX IF NOT EXISTS schema_drift_unreported_idx ON front.schema_drift (first_seen_at) WHERE reported_at IS NULL;
COMMENT ON TABLE front.schema_drift IS 'Fields Front sends that the resource does not map (unmapped) and mapped fields it stopped sending (missing), per resource; see docs/runbook.md#alert-schema-drift.';
COMMENT ON COLUMN front.schema_drift.kind IS 'unmapped: Front sends it, no column reads it (raw keeps it); missing: a column reads it, a whole batch lacked it.';
COMMENT ON COLUMN front.schema_drift.field_path IS 'Generic path: dotted, [] for list items (recipients[].handle).';
COMMENT ON COLUMN front.schema_drift.example_path IS 'One concrete path where it was first seen (recipients[2].handle); never a value.';
COMMENT ON COLUMN front.schema_drift.records IS 'Records that had the unmapped field (missing: records of the batches that lacked it).';
COMMENT ON COLUMN front.schema_drift.batches IS 'Load batches that showed it.';
COMMENT ON COLUMN front.schema_drift.reported_at IS 'When front_sync_full sent it to Slack (null: not reported yet).';
COMMENT ON COLUMN front.schema_drift.resource IS 'Resource name from front_sync.resources.';
COMMENT ON COLUMN front.schema_drift.first_seen_at IS 'When a load batch first showed it.';
COMMENT ON COLUMN front.schema_drift.last_seen_at IS 'When a load batch last showed it.';
COMMENT ON COLUMN front.schema_drift.first_run_id IS 'Airflow run that first noted it.';
COMMENT ON COLUMN front.schema_drift.last_run_id IS 'Airflow run that last noted it.';
