"""The schema of the tidy tables the analysis reads: tables, columns, types, allowed values.

The analysis never reads the database. It reads six tidy tables, written by the web layer's
export as one CSV file each (file name = table name + ".csv") or built in memory by the web
layer or the simulator as pandas DataFrames. Both go through the same schema, declared here
as data so that the loader, the writer and docs/tidy-tables.md cannot drift apart.

A column is `required` when it must be present in the table (optional columns are added,
empty, when absent) and `nonempty` when every cell must hold a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a cell is parsed; the canonical in-memory dtype is in brackets."""

    TEXT = "text"  # str, "" when empty [object]
    CHOICE = "choice"  # one of `allowed`, "" when empty [object]
    INT = "int"  # whole number [Int64, <NA> when empty]
    NUMBER = "number"  # real number [float64, NaN when empty]
    DATE = "date"  # ISO 8601 date YYYY-MM-DD [datetime64[ns], NaT when empty]
    ARM = "arm"  # one of the arm ids (or blinded labels) passed to the loader [object]


@dataclass(frozen=True)
class Column:
    """One column: its name, kind, constraints and a one-line meaning for the docs."""

    name: str
    kind: Kind
    doc: str
    required: bool = True
    nonempty: bool = True
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    # Extra values accepted besides the arm ids, for Kind.ARM (e.g. "dont_know").
    extra_arm_values: tuple[str, ...] = ()

    def expected(self) -> str:
        """What a valid cell looks like, as said in an error message."""
        if self.kind is Kind.CHOICE:
            return "one of " + "|".join(self.allowed)
        if self.kind is Kind.DATE:
            return "a date YYYY-MM-DD"
        if self.kind in (Kind.INT, Kind.NUMBER):
            noun = "an integer" if self.kind is Kind.INT else "a number"
            if self.minimum is not None and self.maximum is not None:
                return f"{noun} between {self.minimum:g} and {self.maximum:g}"
            if self.minimum is not None:
                return f"{noun} >= {self.minimum:g}"
            return noun
        return "a text"


@dataclass(frozen=True)
class TableSchema:
    """One table: its columns, the columns that identify a row, and its meaning."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


YES_NO = ("yes", "no")

# Participant status at export. "died" and "lost_to_follow_up" are both counted as lost to
# follow-up in the CONSORT diagram; "withdrawn" as discontinued.
STATUSES = ("active", "completed", "withdrawn", "lost_to_follow_up", "died")
ENDED_STATUSES = ("withdrawn", "lost_to_follow_up", "died")

PID = Column("participant_id", Kind.TEXT, "the participant's trial id")

PARTICIPANTS = TableSchema(
    "participants",
    "One row per randomized participant.",
    (
        PID,
        Column("site", Kind.TEXT, "site id"),
        Column(
            "stratum", Kind.TEXT, "randomization stratum, empty if unstratified", nonempty=False
        ),
        Column("arm", Kind.ARM, "arm id, or the scrambled label in blinded mode"),
        Column("randomized_at", Kind.DATE, "date of randomization (time zero)"),
        # ASSUMPTION: sex is recorded as male|female|other; empty when not recorded.
        Column("sex", Kind.CHOICE, "sex", nonempty=False, allowed=("male", "female", "other")),
        Column(
            "age", Kind.INT, "age in years at randomization", nonempty=False, minimum=0, maximum=120
        ),
        Column(
            "weight_kg",
            Kind.NUMBER,
            "body weight in kg at dosing",
            nonempty=False,
            minimum=20,
            maximum=300,
        ),
        Column(
            "years_heroin_use",
            Kind.NUMBER,
            "years of heroin use",
            nonempty=False,
            minimum=0,
            maximum=100,
        ),
        Column("status", Kind.CHOICE, "status at export", allowed=STATUSES),
        Column(
            "received_allocated",
            Kind.CHOICE,
            "received the allocated intervention; empty while the session is pending",
            required=False,
            nonempty=False,
            allowed=YES_NO,
        ),
        Column(
            "not_received_reason",
            Kind.TEXT,
            "why the allocated intervention was not received",
            required=False,
            nonempty=False,
        ),
        Column(
            "ended_at",
            Kind.DATE,
            "date of withdrawal, loss to follow-up or death",
            required=False,
            nonempty=False,
        ),
        Column(
            "end_reason",
            Kind.TEXT,
            "reason for withdrawal, loss to follow-up or death",
            required=False,
            nonempty=False,
        ),
        Column(
            "not_analysed_reason",
            Kind.TEXT,
            "why the participant is excluded from analysis; empty = analysed",
            required=False,
            nonempty=False,
        ),
    ),
    key=("participant_id",),
)

FOLLOWUP = TableSchema(
    "followup",
    "One row per participant and follow-up month that has come due.",
    (
        PID,
        Column("month", Kind.INT, "months since randomization", minimum=1),
        Column(
            "visit_date", Kind.DATE, "date the visit took place; empty if missed", nonempty=False
        ),
        Column(
            "status", Kind.CHOICE, "whether the visit took place", allowed=("attended", "missed")
        ),
        Column(
            "heroin_use",
            Kind.CHOICE,
            "self-reported heroin use since the last visit",
            nonempty=False,
            allowed=YES_NO,
        ),
        Column(
            "urine",
            Kind.CHOICE,
            "urine toxicology for opiates",
            nonempty=False,
            allowed=("negative", "positive", "not_done"),
        ),
        Column(
            "collateral",
            Kind.CHOICE,
            "a relative's or friend's report of heroin use",
            nonempty=False,
            allowed=("yes", "no", "unknown"),
        ),
        Column(
            "abstinent",
            Kind.CHOICE,
            "abstinent at this visit as derived by the exporter (informational)",
            nonempty=False,
            allowed=YES_NO,
        ),
    ),
    key=("participant_id", "month"),
)

SCORES = TableSchema(
    "scores",
    "One row per participant, instrument, visit and item or scale score.",
    (
        PID,
        Column("instrument", Kind.TEXT, "instrument id, e.g. hrs, craving_vas, colour_test"),
        Column("visit", Kind.TEXT, "visit id, e.g. baseline, session, month_3"),
        Column(
            "month",
            Kind.INT,
            "months since randomization; empty for the session",
            required=False,
            nonempty=False,
            minimum=0,
        ),
        Column(
            "item_or_scale",
            Kind.TEXT,
            "item id or scale name, e.g. an HRS cluster, craving, a colour-test concept",
        ),
        Column("value", Kind.NUMBER, "the score"),
    ),
    key=("participant_id", "instrument", "visit", "item_or_scale"),
)

ADVERSE_EVENTS = TableSchema(
    "adverse_events",
    "One row per adverse event.",
    (
        PID,
        Column("term", Kind.TEXT, "event term (MedDRA preferred term where coded)"),
        Column("onset_date", Kind.DATE, "date of onset"),
        Column("serious", Kind.CHOICE, "meets the ICH E2A seriousness criteria", allowed=YES_NO),
        Column("severity", Kind.CHOICE, "intensity", allowed=("mild", "moderate", "severe")),
        # ASSUMPTION: causality on the five-level WHO-UMC-like scale.
        Column(
            "related",
            Kind.CHOICE,
            "relatedness to the study drug",
            allowed=("not_related", "unlikely", "possible", "probable", "definite"),
        ),
        Column(
            "outcome",
            Kind.CHOICE,
            "outcome (CDISC AEOUT terms)",
            nonempty=False,
            allowed=(
                "recovered",
                "recovering",
                "not_recovered",
                "recovered_with_sequelae",
                "fatal",
                "unknown",
            ),
        ),
    ),
)

BLINDING_GUESSES = TableSchema(
    "blinding_guesses",
    "One row per participant, guesser role and time point at which the arm was guessed.",
    (
        PID,
        Column(
            "guesser_role",
            Kind.CHOICE,
            "who guessed",
            allowed=("participant", "therapist", "rater"),
        ),
        Column(
            "guessed_arm",
            Kind.ARM,
            "the arm guessed, or dont_know",
            extra_arm_values=("dont_know",),
        ),
        # ASSUMPTION: confidence is a percentage; empty when not asked.
        Column(
            "confidence",
            Kind.NUMBER,
            "confidence in the guess, 0-100",
            nonempty=False,
            minimum=0,
            maximum=100,
        ),
        Column(
            "visit",
            Kind.TEXT,
            "time point of the guess, e.g. session, month_24",
            required=False,
            nonempty=False,
        ),
    ),
    key=("participant_id", "guesser_role", "visit"),
)

SCREENING = TableSchema(
    "screening",
    "One row per person assessed for eligibility.",
    (
        Column("screening_id", Kind.TEXT, "screening log id"),
        Column("screened_at", Kind.DATE, "date of the eligibility assessment"),
        Column("eligible", Kind.CHOICE, "met every eligibility criterion", allowed=YES_NO),
        Column(
            "exclusion_reason",
            Kind.TEXT,
            "why not randomized (criterion not met, reason for declining, other)",
            nonempty=False,
        ),
        Column(
            "consented",
            Kind.CHOICE,
            "gave informed consent; empty if never asked",
            nonempty=False,
            allowed=YES_NO,
        ),
        Column("participant_id", Kind.TEXT, "trial id if randomized, else empty", nonempty=False),
    ),
    key=("screening_id",),
)

SCHEMAS: dict[str, TableSchema] = {
    s.name: s for s in (PARTICIPANTS, FOLLOWUP, SCORES, ADVERSE_EVENTS, BLINDING_GUESSES, SCREENING)
}
TABLE_NAMES: tuple[str, ...] = tuple(SCHEMAS)
