"""How the command line reports user errors: one clear line on stderr, a non-zero exit.

Tracebacks are for bugs. Every error psytrial raises on purpose is a `PsytrialError` whose
message already says what was expected and what was got; usage errors come from click.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer

from psytrial.core.errors import PsytrialError

try:  # typer >= 0.22 carries its own copy of click
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - older typer on top of click
    from click.exceptions import ClickException, UsageError  # type: ignore[assignment]
    from click.exceptions import NoArgsIsHelp as NoArgsIsHelpError  # type: ignore[no-redef]

USER_ERROR = 2


def run_reporting_errors(app: Callable[..., object], argv: list[str] | None = None) -> int:
    """Run a typer/click app; turn user errors into one stderr line and an exit code."""
    try:
        app(args=argv, standalone_mode=False, prog_name="psytrial")
    except PsytrialError as exc:
        return _fail(str(exc))
    except NoArgsIsHelpError as exc:
        if exc.ctx is not None:
            print(exc.ctx.get_help(), file=sys.stderr)
        return USER_ERROR
    except UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        return _fail(f"{exc.format_message()}{hint}")
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return _fail("aborted")
    except ClickException as exc:
        return _fail(exc.format_message())
    except OSError as exc:
        return _fail(f"{getattr(exc, 'filename', '') or ''}: {exc.strerror or exc}".lstrip(": "))
    return 0


def _fail(message: str) -> int:
    one_line = " ".join(message.split())
    print(f"psytrial: error: {one_line}", file=sys.stderr)
    return USER_ERROR
