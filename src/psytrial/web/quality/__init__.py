"""Data quality: queries on entered fields, form signatures, form and database lock.

    Query lifecycle   a data manager raises a query on one field of a form record; the site
                      (the investigator, or the role that enters that instrument) answers; the
                      data manager closes it, or re-opens it (`actions`)
    signatures        an investigator signs a form version, re-entering their password
    lock              a data manager locks a checked form, and finally the study database

Every step is an action function with its audit entry in the same transaction. Outcome raters
never see queries on instruments that reveal the arm (`rules.may_view`).
"""
