"""JSON API of data quality, with the same permissions and blind as the pages.

    /quality/{code}/queries ...        the query lifecycle (`queries`)
    /quality/{code}/records ...        form records with signatures and locks; sign, lock
    /quality/{code}/lock               the database lock

Lists are paginated with `limit` and `offset` and answer {"items": [...], "count": n}.
Errors have one shape (`errors`).
"""
