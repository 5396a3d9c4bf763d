UPDATE {keys} SET _outcome = %(outcome)s WHERE id = ANY(%(ids)s)
