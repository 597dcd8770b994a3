"""How the command line reports user errors: one clear line on stderr, a non-zero exit.

Tracebacks are for bugs. Every error psytrial raises on purpose is a `PsytrialError` whose
message already says what was expected and what was got; usage errors come from click.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from psytrial.core.errors import PsytrialError

USER_ERROR = 2


def run_reporting_errors(app: Callable[..., object], argv: list[str] | None = None) -> int:
    """Run a typer/click app; turn user errors into one stderr line and an exit code."""
    try:
        app(args=argv, standalone_mode=False, prog_name="psytrial")
    except PsytrialError as exc:
        return _fail(str(exc))
    except click.exceptions.NoArgsIsHelp as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        return USER_ERROR
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        return _fail(f"{exc.format_message()}{hint}")
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        return _fail("aborted")
    except click.ClickException as exc:
        return _fail(exc.format_message())
    except OSError as exc:
        return _fail(f"{getattr(exc, 'filename', '') or ''}: {exc.strerror or exc}".lstrip(": "))
    return 0


def _fail(message: str) -> int:
    one_line = " ".join(message.split())
    print(f"psytrial: error: {one_line}", file=sys.stderr)
    return USER_ERROR
