"""What one demo run is asked to do (the `psytrial demo` options), and where its files go.

Kept free of Django: the options are read and checked before Django is configured, because
the database and the key folder must be in the environment before Django reads its settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PACKAGE_ROOT = Path(__file__).resolve().parents[3]
REFERENCE_PROTOCOL = PACKAGE_ROOT / "protocols" / "kpt2002.yaml"
REFERENCE_SCENARIO = PACKAGE_ROOT / "scenarios" / "kpt2002.yaml"
DEFAULT_PARTICIPANTS = 70
DEFAULT_SEED = 2002
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class DemoOptions:
    """The options of one run. `database_url` None: a SQLite file `out/db.sqlite3`."""

    out: Path
    seed: int = DEFAULT_SEED
    participants: int = DEFAULT_PARTICIPANTS
    sites: int = 1
    serve: bool = True
    port: int = DEFAULT_PORT
    force: bool = False
    protocol_file: Path = REFERENCE_PROTOCOL
    scenario_file: Path = REFERENCE_SCENARIO
    database_url: str | None = None
    progress: bool = True


@dataclass(frozen=True)
class DemoPaths:
    """The files a run writes, all under `--out`; the database (its own file, or a URL)."""

    out: Path
    database_url: str | None = None

    @property
    def database(self) -> Path:
        return self.out / "db.sqlite3"

    @property
    def keys(self) -> Path:
        return self.out / "keys"

    @property
    def report(self) -> Path:
        return self.out / "report.html"

    @property
    def results(self) -> Path:
        return self.out / "results.json"

    @property
    def protocol(self) -> Path:
        return self.out / "protocol.yaml"

    @property
    def logins(self) -> Path:
        return self.out / "logins.txt"

    @property
    def analysis_tables(self) -> Path:
        return self.out / "analysis-tables"

    def sqlite_url(self) -> str:
        return f"sqlite:///{self.database.resolve()}"

    def url(self) -> str:
        """The study database's URL (what DATABASE_URL must be to reopen it)."""
        return self.database_url or self.sqlite_url()

    def shown_url(self) -> str:
        """The URL with any password replaced by ***, for printing."""
        parts = urlsplit(self.url())
        if parts.password is None:
            return self.url()
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
