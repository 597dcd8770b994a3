"""The export actions: authorize, build, audit (who exported what), hand back.

    export_instrument(user, study, instrument_id)      -> ExportFile  (tidy CSV)
    export_dictionary(user, study)                     -> ExportFile  (data dictionary CSV)
    export_analysis(user, study, folder, unblinded=False)  -> AnalysisExport (six CSV files)
    operator_export(study, folder, unblinded=False)    -> AnalysisExport (the command line)

An export changes no trial data, so it is allowed after the database lock; its audit entry
("export.instrument", "export.dictionary", "export.analysis") names the user, the role, what
was exported, the row counts and the SHA-256 of every file handed out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from psytrial.core.errors import ProtocolError
from psytrial.stats.tables import TrialTables
from psytrial.web.audit.trail import record as audit
from psytrial.web.exports import access, analysis, tidy
from psytrial.web.exports.reading import current_entries
from psytrial.web.forms.catalog import instrument
from psytrial.web.forms.permissions import may_see
from psytrial.web.permissions import ActionDenied, roles_of, visible_participants
from psytrial.web.trial.models import Study

OPERATOR = "operator"


@dataclass(frozen=True)
class ExportFile:
    name: str
    content: str
    rows: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content.encode()).hexdigest()


@dataclass(frozen=True)
class AnalysisExport:
    folder: Path
    mode: str
    arms: tuple[str, ...]
    tables: TrialTables
    files: dict[str, str]  # file name -> SHA-256

    @property
    def rows(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables.frames().items()}


def export_instrument(user: AbstractBaseUser, study: Study, instrument_id: str) -> ExportFile:
    membership = access.require_exporter(user, study)
    try:
        defn = instrument(study.protocol, instrument_id)
    except ProtocolError:
        raise ActionDenied(
            f"expected an instrument of study {study.code}, got {instrument_id!r}"
        ) from None
    roles = roles_of(user, study)
    if not may_see(roles, defn, ""):
        raise ActionDenied(
            f"expected a role that may see {defn.id}; outcome raters never see "
            "instruments that reveal the arm"
        )
    mine = set(visible_participants(user, study).values_list("pk", flat=True))
    entries = [
        e
        for e in current_entries(study, instruments=[defn.id])
        if e.participant_id in mine and may_see(roles, defn, e.variant)
    ]
    header, rows = tidy.instrument_table(study.protocol, defn, entries)
    result = ExportFile(f"{study.code}_{defn.id}.csv", tidy.to_csv(header, rows), len(rows))
    _audit(
        user,
        membership.role,
        study,
        "export.instrument",
        defn.id,
        {"file": result.name, "rows": result.rows, "sha256": result.sha256},
    )
    return result


def export_dictionary(user: AbstractBaseUser, study: Study) -> ExportFile:
    membership = access.require_exporter(user, study)
    roles = roles_of(user, study)
    shown = [d for d in study.protocol.instruments if may_see(roles, d, "")]
    rows = tidy.dictionary_rows(study.protocol, shown)
    result = ExportFile(
        f"{study.code}_data_dictionary.csv", tidy.to_csv(tidy.DICTIONARY_COLUMNS, rows), len(rows)
    )
    _audit(
        user,
        membership.role,
        study,
        "export.dictionary",
        "dictionary",
        {"file": result.name, "rows": result.rows, "sha256": result.sha256},
    )
    return result


def export_analysis(
    user: AbstractBaseUser, study: Study, folder: str | Path, *, unblinded: bool = False
) -> AnalysisExport:
    """Write the six tables to `folder`: blinded (scrambled arm labels) unless asked and allowed."""
    membership, cap = access.require_analysis_exporter(user, study, unblinded)
    arms = access.unblinded_arms(study, cap) if cap is not None else access.blinded_arms(study)
    return _write(study, arms, Path(folder), user.get_username(), membership.role)


def operator_export(
    study: Study, folder: str | Path, *, unblinded: bool = False, actor: str = OPERATOR
) -> AnalysisExport:
    """The command line's export: the operator holds the seal key; unblinded only after lock."""
    arms = (
        access.unblinded_arms(study, access.operator_capability(study))
        if unblinded
        else access.blinded_arms(study)
    )
    return _write(study, arms, Path(folder), actor, "")


def _write(
    study: Study, arms: access.ArmColumn, folder: Path, actor: str, role: str
) -> AnalysisExport:
    tables = analysis.build_tables(study, arms)
    paths = analysis.write(tables, folder)
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    result = AnalysisExport(folder, arms.mode, arms.arms, tables, files)
    _audit_as(
        actor,
        role,
        study,
        "export.analysis",
        arms.mode,
        {"mode": arms.mode, "rows": result.rows, "sha256": files},
    )
    return result


def _audit(
    user: AbstractBaseUser,
    role: str,
    study: Study,
    action: str,
    what: str,
    details: dict[str, object],
) -> None:
    _audit_as(user.get_username(), role, study, action, what, details)


def _audit_as(
    actor: str, role: str, study: Study, action: str, what: str, details: dict[str, object]
) -> None:
    with transaction.atomic():
        audit(
            actor=actor,
            role=role,
            action=action,
            study=study.code,
            object_type="export",
            object_id=what,
            new=details,
        )
