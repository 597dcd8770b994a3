"""Running the WSGI app under gunicorn (a production-grade server, not Django's dev server)."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from psytrial.web.wsgi import application


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return application


def run_gunicorn(host: str, port: int, workers: int, threads: int = 4) -> None:
    _Gunicorn({
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "warning",
    }).run()
