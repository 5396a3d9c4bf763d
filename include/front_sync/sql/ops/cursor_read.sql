-- Where the monitor stopped reading a table (0: never read), and the table's largest id now.
SELECT coalesce((SELECT last_id FROM front.monitor_cursors WHERE name = %(name)s), 0),
       coalesce((SELECT max(id) FROM {table}), 0)
