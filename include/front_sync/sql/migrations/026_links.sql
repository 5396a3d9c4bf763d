-- Links (GET /links): external objects (tickets, issues, orders) linked to conversations.
CREATE TABLE IF NOT EXISTS front.links (
    id             text PRIMARY KEY,
    name           text,
    type           text,
    external_url   text,
    custom_fields  jsonb
);
SELECT front.make_entity_table('links');
COMMENT ON TABLE front.links IS 'Front links (GET /links), listed in full; deletions reconciled.';
COMMENT ON COLUMN front.links.id IS 'Front link id (top_...).';
COMMENT ON COLUMN front.links.name IS 'Link name.';
COMMENT ON COLUMN front.links.type IS 'Link type (e.g. web).';
COMMENT ON COLUMN front.links.external_url IS 'The URL the link points to.';
COMMENT ON COLUMN front.links.custom_fields IS 'Custom field values keyed by field name (scope link).';
