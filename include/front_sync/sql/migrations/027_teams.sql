-- Teams (GET /teams): groups of teammates and inboxes.
CREATE TABLE IF NOT EXISTS front.teams (
    id    text PRIMARY KEY,
    name  text
);
SELECT front.make_entity_table('teams');
COMMENT ON TABLE front.teams IS 'Front teams (GET /teams), listed in full; deletions reconciled.';
COMMENT ON COLUMN front.teams.id IS 'Front team id (tim_...).';
COMMENT ON COLUMN front.teams.name IS 'Team name.';
