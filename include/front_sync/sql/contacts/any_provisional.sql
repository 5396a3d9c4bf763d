-- Whether any provisional contact exists (usually none, and the merge is skipped). count(*) rather than EXISTS:
-- for EXISTS the planner may pick a sequential scan of contacts, expecting an early hit that never comes.
SELECT count(*) > 0 FROM front.contacts WHERE is_provisional
