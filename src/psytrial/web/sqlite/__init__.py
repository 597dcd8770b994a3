"""psytrial's SQLite database backend: Django's, with writers queued (see `base`)."""
