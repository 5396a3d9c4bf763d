-- The API budget shared by every task, thread and worker process (hooks/budget.py, warehouse/budget_store.py):
-- one row per Front company (budget key) and lane (the company pace, each resource's burst spacing, search).
-- Times come from the database clock (clock_timestamp()), so the workers' clocks never have to agree.

CREATE TABLE IF NOT EXISTS front.rate_budget (
    budget_key     text             NOT NULL,
    lane           text             NOT NULL,
    last_slot      timestamptz,
    hold_until     timestamptz,
    quota_spacing  double precision NOT NULL DEFAULT 0,
    quota_until    timestamptz,
    PRIMARY KEY (budget_key, lane)
);
COMMENT ON TABLE front.rate_budget IS 'The API rate budget of each Front company, shared by every worker: one row per lane. Safe to empty (the budget starts afresh).';
COMMENT ON COLUMN front.rate_budget.budget_key IS 'The Front company: the front connection''s budget_key extra, or a hash of its base URL and token (never the token).';
COMMENT ON COLUMN front.rate_budget.lane IS 'pace (the company pace, plan-wide holds, quota reading), burst:<resource> (Front''s per-resource burst limit) or search (40 % of the budget).';
COMMENT ON COLUMN front.rate_budget.last_slot IS 'The latest send time reserved in this lane; the next is at least the lane''s spacing later.';
COMMENT ON COLUMN front.rate_budget.hold_until IS 'Nobody in this lane sends before this (after a 429, or an exhausted quota on the pace lane).';
COMMENT ON COLUMN front.rate_budget.quota_spacing IS 'Seconds between requests that x-ratelimit-remaining/-reset ask for (the remaining quota spread to the reset).';
COMMENT ON COLUMN front.rate_budget.quota_until IS 'Until when quota_spacing applies (the quota reset).';

-- Reserve the next slot in every lane at once, under the rows' locks, and return how long the caller sleeps
-- (and whether a hold or its own delay, not the pace, decided it). Lanes are locked in name order, so two
-- reservations sharing lanes never deadlock.
CREATE OR REPLACE FUNCTION front.rate_budget_reserve(
    p_key text, p_lanes text[], p_spacings double precision[], p_delay double precision
) RETURNS TABLE (wait_seconds double precision, held boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_now    timestamptz;
    v_forced timestamptz;
    v_slot   timestamptz;
    v_locked integer;
BEGIN
    PERFORM 1 FROM front.rate_budget
    WHERE budget_key = p_key AND lane = ANY (p_lanes) ORDER BY lane FOR UPDATE;
    GET DIAGNOSTICS v_locked = ROW_COUNT;
    IF v_locked < cardinality(p_lanes) THEN  -- a lane's first use: create its row, then lock them all
        INSERT INTO front.rate_budget (budget_key, lane)
        SELECT p_key, lane FROM unnest(p_lanes) AS lane ORDER BY lane
        ON CONFLICT (budget_key, lane) DO NOTHING;
        PERFORM 1 FROM front.rate_budget
        WHERE budget_key = p_key AND lane = ANY (p_lanes) ORDER BY lane FOR UPDATE;
    END IF;
    v_now := clock_timestamp();  -- read once the rows are ours: the time the reservation is made
    SELECT greatest(v_now + make_interval(secs => p_delay), max(b.hold_until)),
           max(b.last_slot + make_interval(secs => CASE WHEN b.quota_until > v_now
                                                        THEN greatest(l.spacing, b.quota_spacing)
                                                        ELSE l.spacing END))
      INTO v_forced, v_slot
      FROM unnest(p_lanes, p_spacings) AS l (lane, spacing)
      JOIN front.rate_budget AS b ON b.budget_key = p_key AND b.lane = l.lane;
    v_slot := greatest(v_now, v_slot, v_forced);
    UPDATE front.rate_budget SET last_slot = v_slot WHERE budget_key = p_key AND lane = ANY (p_lanes);
    RETURN QUERY SELECT extract(epoch FROM v_slot - v_now)::double precision, v_forced > v_now AND v_slot = v_forced;
END
$$;
COMMENT ON FUNCTION front.rate_budget_reserve(text, text[], double precision[], double precision) IS
    'Reserve one request''s slot in the given lanes of a budget (atomic across workers); returns the seconds to wait.';
