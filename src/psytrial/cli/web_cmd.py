"""Commands that work on the configured study database (DATABASE_URL; default SQLite).

    psytrial serve [--host H] [--port P]
    psytrial audit verify
    psytrial study create FILE
    psytrial user add USERNAME --study S --role R [--site CODE]  (password on stdin)

Django is imported inside each command, so commands that need no database start fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from psytrial.core.errors import PsytrialError

audit_app = typer.Typer(help="Check the hash-chained audit trail.", no_args_is_help=True)
study_app = typer.Typer(help="Create studies from protocol files.", no_args_is_help=True)
user_app = typer.Typer(help="Create logins and give them roles.", no_args_is_help=True)


def _django() -> None:
    from psytrial.web.bootstrap import migrate

    migrate()


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="port to listen on"),
    workers: int = typer.Option(int(os.environ.get("PSYTRIAL_WORKERS", "2")), "--workers",
                                min=1, help="gunicorn worker processes"),
) -> None:
    """Serve the web app with gunicorn on the configured database (migrating it first)."""
    _django()
    from psytrial.web.server import run_gunicorn

    typer.echo(f"psytrial serving on http://{host}:{port}/ (Ctrl-C to stop)")
    run_gunicorn(host, port, workers)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit chain; name the first broken entry if any."""
    _django()
    from psytrial.web.audit.trail import verify

    report = verify()
    if not report.ok:
        raise PsytrialError(f"audit trail broken at entry {report.first_broken_seq}: "
                            f"{report.problem} ({report.entries} entries read)")
    typer.echo(f"audit trail intact: {report.entries} entries, head {report.head}")


@study_app.command("create")
def study_create(file: Path = typer.Argument(..., help="protocol YAML file")) -> None:
    """Create a study (and its sites) from a protocol file."""
    from psytrial.core.protocol import load_protocol

    load_protocol(file)  # located errors before touching the database
    _django()
    from psytrial.web.trial.actions import create_study

    study = create_study(file.read_text(encoding="utf-8"), source=file.name)
    typer.echo(f"created study {study.code} (protocol version {study.protocol_version}, "
               f"digest {study.protocol_digest[:12]}...)")


@user_app.command("add")
def user_add(
    username: str = typer.Argument(...),
    study: str = typer.Option(..., "--study", help="study code"),
    role: str = typer.Option(..., "--role", help="a role (see docs/guides/README.md)"),
    site: str | None = typer.Option(None, "--site", help="site code (default: all sites)"),
) -> None:
    """Create a login (password read from stdin) and give it a role in a study."""
    from psytrial.core.roles import Role

    try:
        role_enum = Role(role)
    except ValueError:
        raise PsytrialError(f"--role: expected one of {', '.join(r.value for r in Role)}, "
                            f"got {role!r}") from None
    password = sys.stdin.readline().rstrip("\n")
    _django()
    from django.contrib.auth import get_user_model

    from psytrial.web.trial.actions import create_user, grant_role
    from psytrial.web.trial.models import Site, Study

    found = Study.objects.filter(code=study).first()
    if found is None:
        raise PsytrialError(f"--study: expected an existing study code, got {study!r}")
    site_row = None
    if site is not None:
        site_row = Site.objects.filter(study=found, code=site).first()
        if site_row is None:
            raise PsytrialError(f"--site: expected a site of {study}, got {site!r}")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        user = create_user(username, password)
    grant_role(user, found, role_enum, site_row)
    typer.echo(f"{username} is {role_enum.value} in {study} ({site or 'all sites'})")


token_app = typer.Typer(help="API tokens for the JSON API.", no_args_is_help=True)


@token_app.command("issue")
def token_issue(
    username: str = typer.Argument(...),
    name: str = typer.Option(..., "--name", help="what the token is for, e.g. 'site export'"),
) -> None:
    """Issue an API token for a user; it is printed once and stored only as a hash."""
    _django()
    from django.contrib.auth import get_user_model

    from psytrial.web.accounts.actions import issue_token

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise PsytrialError(f"expected an active user, got {username!r}")
    text = issue_token(user, name)
    typer.echo(text)
    print(f"token {name!r} for {username}: shown once; send it as 'Authorization: Bearer <token>'",
          file=sys.stderr)


@token_app.command("revoke")
def token_revoke(
    username: str = typer.Argument(...),
    prefix: str = typer.Option(..., "--prefix", help="the first characters after 'pt_'"),
) -> None:
    """Revoke a user's API token, found by its prefix."""
    _django()
    from psytrial.web.accounts.actions import revoke_token
    from psytrial.web.accounts.models import ApiToken

    token = ApiToken.objects.filter(user__username=username, prefix=prefix[:8],
                                    revoked=False).first()
    if token is None:
        raise PsytrialError(f"expected a live token of {username} with prefix {prefix!r}, "
                            "found none")
    revoke_token(token.user, token.pk)
    typer.echo(f"revoked token {token.name!r} of {username}")
