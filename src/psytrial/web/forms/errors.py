"""Why a form save changed nothing, beyond bad values: each is a FormError, so a view shows it
next to the form like any field error (under "__all__" or the field it concerns).

    FormError (psytrial.core.errors)
     +-- FormLocked      the form or the whole study is locked
     +-- FormUnchanged   the submission equals the current version (e.g. a double submit)
     +-- FormConflict    someone saved a newer version since the editor opened the form;
                         carries the submitted data so nothing typed is lost
"""

from __future__ import annotations

from collections.abc import Mapping

from psytrial.core.errors import FormError


class FormLocked(FormError):
    def __init__(self, message: str) -> None:
        super().__init__({"__all__": [message]})


class FormUnchanged(FormError):
    def __init__(self, message: str) -> None:
        super().__init__({"__all__": [message]})


class FormConflict(FormError):
    """A stale `expected_version`: the later writer gets this, with what they submitted."""

    def __init__(
        self, message: str, *, submitted: Mapping[str, object], current_version: int
    ) -> None:
        super().__init__({"__all__": [message]})
        self.submitted = dict(submitted)
        self.current_version = current_version
