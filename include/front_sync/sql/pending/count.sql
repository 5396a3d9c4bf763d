SELECT count(*) FROM front.sync_pending WHERE resource = %(resource)s
