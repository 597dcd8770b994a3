"""The demo's phases, in the order a trial goes through them.

    setup       the study from the protocol, the team's logins, the sealed allocation list
    enrolment   screening, eligibility, consent, baseline, randomization, the pharmacy
    treatment   preparation sessions, the drug session (dose, vital signs, HRS), integration
    followup    monthly visits, missed visits, adverse events, withdrawal and loss
    quality     data queries raised, answered and closed; the database lock
    analysis    the analysis export and the statistical analysis plan; report.html and
                results.json

Every step is an action function of the web layer, called as the user whose role does it.
"""
