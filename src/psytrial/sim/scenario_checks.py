"""A scenario checked against the protocol it is for.

A scenario is written for one protocol: it names the protocol's study id, has exactly the
protocol's arms and sites, gives failure rates for the protocol's eligibility criteria,
models the protocol's vital signs and HRS, and keeps generated values inside the protocol's
form ranges and dosing limits (so every generated answer passes the protocol's own form
validation). Each problem is one ScenarioError line pointing at the scenario's line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from psytrial.core.errors import ScenarioError
from psytrial.core.instruments import FormInstrument, HrsInstrument
from psytrial.core.instruments.forms import clean_field
from psytrial.core.located_yaml import format_loc
from psytrial.core.protocol import Protocol, Visit
from psytrial.sim.distributions import hrs_latent
from psytrial.sim.protocol_parts import DONT_KNOW, ProtocolParts, protocol_parts
from psytrial.sim.scenario_model import Path, Scenario, SessionModel, TruncatedNormal

Problem = tuple[Path, str]

FOLLOWUP_CHOICES = {
    "urine": ("negative", "positive", "not_done"),
    "collateral": ("no_use", "use", "unknown"),
}
WITHDRAWAL_KINDS = ("withdrew", "lost")


def check_scenario(scenario: Scenario, protocol: Protocol) -> None:
    """Raise ScenarioError, located in the scenario file, for the first problem found."""
    for path, message in scenario_problems(scenario, protocol):
        place = format_loc(path) or "(top level)"
        raise ScenarioError(f"{scenario.locate(path)}: {place}: {message}")


def scenario_problems(scenario: Scenario, protocol: Protocol) -> Iterator[Problem]:
    parts = protocol_parts(protocol)
    if scenario.study != protocol.study.id:
        yield (
            ("study",),
            (
                f"expected the study id of the protocol, {protocol.study.id!r}, got {scenario.study!r}"
            ),
        )
        return
    yield from _arms(scenario, protocol)
    yield from _sites(scenario, protocol)
    yield from _criteria(scenario, protocol)
    yield from _population(scenario, parts)
    yield from _sessions(scenario, parts)
    yield from _repeated(scenario, parts)
    yield from _hazards(scenario, parts)
    yield from _guesses(scenario, parts)
    yield from _adverse_events(scenario, parts)
    yield from _protocol_forms(scenario, parts)
    yield from _form_defaults(scenario, parts)


def _listed(items: Iterable[str]) -> str:
    return ", ".join(items) or "none"


def _arms(s: Scenario, p: Protocol) -> Iterator[Problem]:
    wanted = [a.id for a in p.arms]
    if set(s.arms) != set(wanted):
        yield (
            ("arms",),
            (
                f"expected the arms of protocol {p.study.id} ({_listed(wanted)}), got {_listed(s.arms)}"
            ),
        )


def _sites(s: Scenario, p: Protocol) -> Iterator[Problem]:
    known = [site.id for site in p.sites]
    for index, site in enumerate(s.sites):
        if site.id not in known:
            yield (
                ("sites", index, "id"),
                (f"expected a site of the protocol ({_listed(known)}), got {site.id!r}"),
            )


def _criteria(s: Scenario, p: Protocol) -> Iterator[Problem]:
    known = [c.id for c in p.eligibility]
    for index, entry in enumerate(s.screening.ineligible):
        if entry.criterion not in known:
            yield (
                ("screening", "ineligible", index, "criterion"),
                (
                    f"expected an eligibility criterion of the protocol ({_listed(known)}), "
                    f"got {entry.criterion!r}"
                ),
            )


def _population(s: Scenario, parts: ProtocolParts) -> Iterator[Problem]:
    choices = parts.sex_choices()
    for sex in s.population.sex:
        if choices and sex not in choices:
            yield (
                ("population", "sex", sex),
                (f"expected a sex the protocol's forms offer ({_listed(choices)}), got {sex!r}"),
            )
    for name in ("age", "weight_kg", "years_heroin_use"):
        groups: dict[str, TruncatedNormal] = getattr(s.population, name)
        ranges = parts.field_ranges(name)
        dosing = parts.protocol.dosing
        if name == "weight_kg" and dosing is not None:
            ranges.append(("dosing", dosing.min_weight_kg, dosing.max_weight_kg))
        for group, dist in groups.items():
            yield from _within(("population", name, group), dist, ranges)


def _within(
    where: Path, dist: TruncatedNormal, ranges: Sequence[tuple[str, float | None, float | None]]
) -> Iterator[Problem]:
    for form_id, low, high in ranges:
        if low is not None and dist.min < low:
            yield (
                (*where, "min"),
                (f"expected at least {low:g} (the range of {form_id}), got {dist.min:g}"),
            )
        if high is not None and dist.max > high:
            yield (
                (*where, "max"),
                (f"expected at most {high:g} (the range of {form_id}), got {dist.max:g}"),
            )


def _sessions(s: Scenario, parts: ProtocolParts) -> Iterator[Problem]:
    protocol = parts.protocol
    pre = parts.pre_randomization_visits
    if any(v.dose == "open_label" for v in pre):
        if s.open_label is None:
            yield (
                ("open_label",),
                (
                    "expected an open_label session model, because the protocol gives an "
                    "open-label session before randomization; got none"
                ),
            )
        else:
            yield from _session(("open_label",), s.open_label, pre, parts)
    elif s.open_label is not None:
        yield (
            ("open_label",),
            "expected no open_label section: the protocol has no open-label session",
        )
    for arm_id, arm in s.arms.items():
        if arm_id in {a.id for a in protocol.arms}:
            visits = parts.visits_for_arm(arm_id)
            yield from _session(("arms", arm_id, "session"), arm.session, visits, parts)


def _session(
    where: Path, model: SessionModel, visits: Sequence[Visit], parts: ProtocolParts
) -> Iterator[Problem]:
    used = {i for v in visits for i in v.instruments}
    hrs = [i for i in parts.hrs_instruments() if i.id in used]
    if hrs and model.hrs is None:
        yield (*where,), f"expected an hrs model, because visits give the {hrs[0].id} instrument"
    if model.hrs is not None:
        for instrument in hrs:
            yield from _hrs_possible((*where, "hrs"), model, instrument)
    vitals = parts.vitals_form
    if vitals is not None and vitals.id in used:
        numeric = [f.id for f in vitals.fields if f.type in ("integer", "number")]
        missing = [f for f in numeric if f not in model.vitals]
        if missing:
            yield (
                (*where, "vitals"),
                (
                    f"expected a model of every numeric field of form {vitals.id} "
                    f"({_listed(numeric)}), missing {_listed(missing)}"
                ),
            )
    for name in model.vitals:
        fields = [f.id for f in vitals.fields] if vitals is not None else []
        if name not in fields:
            yield (
                (*where, "vitals", name),
                (
                    f"expected a numeric field of the vital-signs form ({_listed(fields)}), got {name!r}"
                ),
            )


def _hrs_possible(where: Path, model: SessionModel, instrument: HrsInstrument) -> Iterator[Problem]:
    assert model.hrs is not None
    for cluster, items in instrument.clusters().items():
        dist = model.hrs[cluster]
        try:
            hrs_latent(dist.mean, dist.sd, len(items))
        except ScenarioError as exc:
            yield (*where, cluster, "sd"), str(exc)


def _repeated(s: Scenario, parts: ProtocolParts) -> Iterator[Problem]:
    craving, attitudes = s.population.craving, s.population.attitudes
    if craving is not None and parts.vas(craving.instrument) is None:
        yield (
            ("population", "craving", "instrument"),
            (f"expected a vas instrument of the protocol, got {craving.instrument!r}"),
        )
    concepts: tuple[str, ...] = ()
    if attitudes is not None:
        test = parts.colour_test(attitudes.instrument)
        if test is None:
            yield (
                ("population", "attitudes", "instrument"),
                (
                    f"expected a colour_test instrument of the protocol, got {attitudes.instrument!r}"
                ),
            )
        else:
            concepts = test.concepts
            if set(attitudes.baseline) != set(concepts):
                yield (
                    ("population", "attitudes", "baseline"),
                    (
                        f"expected every concept of {test.id} ({_listed(concepts)}), "
                        f"got {_listed(attitudes.baseline)}"
                    ),
                )
    for arm_id, arm in s.arms.items():
        if (arm.craving is None) != (craving is None):
            yield (
                ("arms", arm_id, "craving"),
                ("expected craving in every arm and in population, or in none"),
            )
        if arm.attitudes and attitudes is None:
            yield ("arms", arm_id, "attitudes"), "expected population.attitudes to be given too"
        for concept, shifts in arm.attitudes.items():
            if concepts and concept not in concepts:
                yield (
                    ("arms", arm_id, "attitudes", concept),
                    (
                        f"expected a concept of the colour test ({_listed(concepts)}), got {concept!r}"
                    ),
                )
            if not shifts:
                yield (
                    ("arms", arm_id, "attitudes", concept),
                    ("expected at least one month: shift, got none"),
                )


def _hazards(s: Scenario, parts: ProtocolParts) -> Iterator[Problem]:
    horizon = parts.horizon_months
    for arm_id, arm in s.arms.items():
        for index, piece in enumerate(arm.relapse_hazard):
            if piece.from_month > horizon:
                yield (
                    ("arms", arm_id, "relapse_hazard", index, "from_month"),
                    (
                        f"expected a month within the protocol's horizon of {horizon} months, "
                        f"got {piece.from_month}"
                    ),
                )


def _choices(form: FormInstrument | None, field_id: str) -> tuple[str, ...]:
    if form is None:
        return ()
    return next((f.choice_values for f in form.fields if f.id == field_id), ())


def _guesses(s: Scenario, parts: ProtocolParts) -> Iterator[Problem]:
    form = parts.guess_form
    if form is None:
        return
    roles = _choices(form, "guesser_role")
    arms_offered = _choices(form, "guessed_arm")
    wanted = [*s.arms, DONT_KNOW]
    missing = [a for a in wanted if a not in arms_offered]
    if missing:
        yield (
            ("arms",),
            (
                f"expected the protocol's form {form.id}.guessed_arm to offer {_listed(wanted)}, "
                f"it lacks {_listed(missing)}"
            ),
        )
    used = any(form.id in v.instruments for v in parts.schedule)
    for arm_id, arm in s.arms.items():
        if used and not arm.blinding:
            yield (
                ("arms", arm_id),
                (f"expected a blinding model (visits give the {form.id} form), got none"),
            )
        for role in arm.blinding:
            if role not in roles:
                yield (
                    ("arms", arm_id, "blinding", role),
                    (f"expected a guesser role of form {form.id} ({_listed(roles)}), got {role!r}"),
                )


def _adverse_events(s: Scenario, parts: ProtocolParts) -> Iterator[Problem]:
    form = parts.adverse_event_form
    for arm_id, arm in s.arms.items():
        events = arm.adverse_events
        if events is None or form is None:
            continue
        for key in ("severity", "related", "outcome"):
            offered = _choices(form, key)
            for value in getattr(events, key):
                if offered and value not in offered:
                    yield (
                        ("arms", arm_id, "adverse_events", key, value),
                        (
                            f"expected a choice of {form.id}.{key} ({_listed(offered)}), got {value!r}"
                        ),
                    )


def _protocol_forms(s: Scenario, parts: ProtocolParts) -> Iterator[Problem]:
    """Forms whose meaning the generator relies on must offer the values it writes."""
    for field_id, wanted in FOLLOWUP_CHOICES.items():
        offered = _choices(parts.followup_form, field_id)
        if parts.followup_form is not None and offered and not set(wanted) <= set(offered):
            yield (
                ("study",),
                (
                    f"expected protocol form {parts.followup_form.id}.{field_id} to offer "
                    f"{_listed(wanted)}, got {_listed(offered)}"
                ),
            )
    kinds = _choices(parts.withdrawal_form, "kind")
    leaving = s.follow_up.withdrawal_monthly + s.follow_up.dropout_monthly
    if (
        parts.withdrawal_form is not None
        and leaving > 0
        and not set(WITHDRAWAL_KINDS) <= set(kinds)
    ):
        yield (
            ("follow_up",),
            (
                f"expected protocol form {parts.withdrawal_form.id}.kind to offer "
                f"{_listed(WITHDRAWAL_KINDS)}, got {_listed(kinds)}"
            ),
        )


def _form_defaults(s: Scenario, parts: ProtocolParts) -> Iterator[Problem]:
    forms = {f.id: f for f in parts.forms()}
    for form_id, values in s.form_defaults.items():
        form = forms.get(form_id)
        if form is None:
            yield (
                ("form_defaults", form_id),
                (f"expected a form instrument of the protocol ({_listed(forms)}), got {form_id!r}"),
            )
            continue
        fields = {f.id: f for f in form.fields}
        for field_id, value in values.items():
            if field_id not in fields:
                yield (
                    ("form_defaults", form_id, field_id),
                    (f"expected a field of form {form_id} ({_listed(fields)}), got {field_id!r}"),
                )
                continue
            try:
                clean_field(fields[field_id], value)
            except ValueError as exc:
                yield ("form_defaults", form_id, field_id), str(exc)
