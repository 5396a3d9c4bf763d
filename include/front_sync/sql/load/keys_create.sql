-- The key of each incoming record (id, Front timestamp, view time and observation time, content hash, the columns and nested tables a
-- partial payload left out) and, after classify, its outcome. Indexed, so that every join of a batch with a target
-- table is a nested loop over index probes. Created once per session (emptied at every commit, and by keys_clear
-- between the halves of a bisected batch).
CREATE TEMP TABLE IF NOT EXISTS {keys} (
    id        text PRIMARY KEY,
    cursor    numeric(15,3),
    view_at   numeric(15,3),
    observed_at numeric(15,3),
    row_hash  text NOT NULL,
    _absent   text[],
    _outcome  text NOT NULL DEFAULT 'created'
) ON COMMIT DELETE ROWS
