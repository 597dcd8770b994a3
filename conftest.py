"""Root conftest: makes the repository root importable, so `tests.django_settings` (the test
settings, see pyproject.toml) and the shared test helpers import as `tests.*`."""
