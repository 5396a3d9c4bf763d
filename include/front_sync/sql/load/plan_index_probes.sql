-- A batch is a few thousand rows joined with tables of millions by primary key: index probes are always the
-- right plan, but the planner's costs (tuned for disks) choose hash joins that read the whole target table
-- for every batch. For the rest of this batch's transaction, joins go through indexes.
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = off
