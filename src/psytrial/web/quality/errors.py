"""Refusals of the quality actions that concern one input, so forms and the API can show the
message under that field (a wrong password under `password`).

    ActionRefused (psytrial.web.permissions)
     +-- InputRefused   carries `field` and `field_errors`
"""

from __future__ import annotations

from psytrial.web.permissions import ActionRefused


class InputRefused(ActionRefused):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")

    @property
    def field_errors(self) -> dict[str, list[str]]:
        return {self.field: [self.message]}
