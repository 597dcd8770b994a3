"""The named errors of the trial core.

Every error message says what was expected and what was got, in one line, so that the
command line can print it as is and a web view can show it next to the field it concerns.

    PsytrialError
     +-- ProtocolError        a protocol file is malformed or inconsistent
     +-- ScenarioError        a scenario file is malformed or inconsistent
     +-- AllocationError      an allocation list cannot be generated, read or verified
     +-- DosingError          a dose cannot be prepared within the protocol's limits
     +-- ScoringError         instrument answers cannot be scored
     +-- FormError            submitted form data fails validation (carries field errors)
     +-- ScheduleError        a visit schedule cannot be computed
     +-- TransitionError      an illegal participant status change
     +-- BlindingError        a request would reveal sealed data to a blinded role
     +-- DataError            a tidy analysis table is malformed
"""

from __future__ import annotations


class PsytrialError(Exception):
    """Base of every error psytrial raises on purpose; its message is meant for users."""


class ProtocolError(PsytrialError):
    """A protocol file is malformed or inconsistent."""


class ScenarioError(PsytrialError):
    """A scenario file is malformed or inconsistent."""


class AllocationError(PsytrialError):
    """An allocation list cannot be generated, read or verified."""


class DosingError(PsytrialError):
    """A dose cannot be prepared within the protocol's limits."""


class ScoringError(PsytrialError):
    """Instrument answers cannot be scored."""


class FormError(PsytrialError):
    """Submitted form data fails validation.

    `field_errors` maps a field id (or "__all__" for cross-field rules) to its messages.
    """

    def __init__(self, field_errors: dict[str, list[str]]) -> None:
        self.field_errors = field_errors
        first = next(iter(field_errors.items()), ("__all__", ["invalid form"]))
        super().__init__(f"{first[0]}: {first[1][0]}")


class ScheduleError(PsytrialError):
    """A visit schedule cannot be computed."""


class TransitionError(PsytrialError):
    """An illegal participant status change."""


class BlindingError(PsytrialError):
    """A request would reveal sealed data to a role that is blind to it."""


class DataError(PsytrialError):
    """A tidy analysis table is malformed."""
