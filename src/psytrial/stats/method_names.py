"""The method named under each analysis, in results.json (`methods`) and in the report.

One text per analysis, kept here once so the JSON and the HTML cannot name different
methods. Each says what was computed, the reference, and the R call that gives the same
numbers (the other engineers' modules check those equivalences against R).
"""

from __future__ import annotations

METHODS: dict[str, str] = {
    "derivation": (
        "Time to relapse = month of the first follow-up visit with confirmed heroin use "
        "(self-report, positive urine or collateral report); losses to follow-up handled by "
        "the protocol's rule (relapse: counted as relapsed at the first missed month; "
        "censor: censored at the last abstinent visit); psytrial.stats.derive"
    ),
    "km": (
        "Kaplan-Meier estimator (Kaplan & Meier 1958) with Greenwood variance and 95% log-log "
        "confidence limits (Kalbfleisch & Prentice 1980); numbers at risk = participants "
        'followed to at least the month; R survfit(conf.type = "log-log") equivalent'
    ),
    "logrank": (
        "Log-rank test (Mantel 1966), hypergeometric variance for tied relapses; "
        "R survdiff rho = 0 equivalent"
    ),
    "cox": (
        "Cox proportional hazards model (Cox 1972), relapse hazard ~ arm, Efron ties (Efron "
        "1977); hazard ratio of the first arm over the second with Wald 95% CI and Wald p; "
        'R coxph(ties = "efron") equivalent'
    ),
    "ph_test": (
        "Proportional-hazards check: score test for arm x g(t), g = 1 - KM (Grambsch & "
        'Therneau 1994); R cox.zph(fit, transform = "km") (survival >= 3.0) equivalent'
    ),
    "abstinence": (
        "Continuous abstinence to month m (no relapse by m), n of N with known status "
        "(participants not yet followed to m left out); Wilson 95% CI per arm (Wilson 1927); "
        "Fisher's exact test, two-sided (R fisher.test); risk difference (first arm minus "
        "second) with Newcombe's hybrid score 95% CI (Newcombe 1998, method 10)"
    ),
    "hrs": (
        "HRS cluster score = mean of the cluster's items (Strassman et al. 1994); mean, SD and "
        "t-based 95% CI per arm; Welch's t test (Welch 1947; R t.test var.equal = FALSE), "
        "the p shown; Mann-Whitney U, normal approximation with tie and continuity "
        "corrections (R wilcox.test exact = FALSE); Hedges' g with exact small-sample "
        "correction and Hedges-Olkin variance (R metafor escalc SMD, vtype LS)"
    ),
    "craving": (
        "Linear mixed model value ~ arm * factor(month) + (1 | participant), REML (Laird & "
        "Ware 1982; statsmodels MixedLM; R lme4::lmer equivalent); arm difference per month "
        "from the model with Wald 95% CI; arm x time interaction by Wald chi-square (REML) "
        "and likelihood ratio (ML refits, R anova); the same with linear time; observed "
        "means with t-based 95% CI"
    ),
    "attitudes": (
        "Change from baseline per concept and month in complete pairs; ANCOVA follow-up ~ "
        "baseline + arm, the primary estimate (Vickers & Altman 2001; R lm); Welch's t on "
        "the change scores beside it"
    ),
    "blinding": (
        "Bang's blinding index per arm (Bang, Ni & Davis 2004) and James' index (James et al. "
        "1996), Wald 95% CI, on each participant's last guess per guesser role"
    ),
    "adverse_events": (
        "Participants with at least one event, % of the arm's randomized participants, and "
        "event counts (ICH E3 12.2); descriptive, no tests; serious events listed (ICH E2A)"
    ),
    "consort": "CONSORT 2010 flow of participants (Schulz, Altman & Moher 2010)",
}
