"""Exports: tidy CSV files per instrument with a data dictionary, and the analysis export.

    tidy        one CSV per instrument: one row per form entry holding its CURRENT values
                (the history of every value is in the form versions and the audit trail)
    dictionary  the data dictionary CSV: variable, label, type, range, unit, instrument, visit
    analysis    the six tidy tables of psytrial.stats.tables built from the database, written
                with stats.tables.write_tables, so `load_tables` reads them back unchanged
    access      who may export what, and how the arm column is filled (blinded or not)
    actions     the audited export actions the views, the API and the CLI call

Every export is an audited action ("export.<kind>": who, what, how many rows, the SHA-256 of
what was handed out). Exports never contain sealed data for a blinded user: the per-instrument
files have no arm column at all, and the analysis export's arm column holds scrambled labels
unless the user is unblinded (the DSMB; the trial statistician after the database lock).
"""
