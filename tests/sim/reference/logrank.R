# Reference values for psytrial's vectorized log-rank test (tests/sim/test_power_logrank.py).
# Reads logrank_trials.csv (written by make_logrank_data.py) and writes logrank_r.csv with,
# for every trial, R's survdiff(Surv(time, status) ~ arm) (rho = 0, the log-rank test):
# the chi-square, observed and expected relapses in arm 1 and the variance of O1 - E1.
# Run from the repository root:  Rscript tests/sim/reference/logrank.R
library(survival)

here <- "tests/sim/reference"
trials <- read.csv(file.path(here, "logrank_trials.csv"))
# A trial whose variance matrix is all zero (every participant at risk relapses at the only
# relapse month) makes survdiff stop with "system is exactly singular"; it is written as NA.
out <- do.call(rbind, lapply(split(trials, trials$trial), function(d) {
  fit <- tryCatch(survdiff(Surv(time, status) ~ arm, data = d, rho = 0), error = function(e) NULL)
  if (is.null(fit)) {
    return(data.frame(trial = d$trial[1], chisq = NA, observed1 = NA, expected1 = NA, var11 = NA))
  }
  data.frame(
    trial = d$trial[1],
    chisq = fit$chisq,
    observed1 = fit$obs[2],
    expected1 = fit$exp[2],
    var11 = fit$var[2, 2]
  )
}))
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
out[, -1] <- lapply(out[, -1], fmt)
write.csv(out, file.path(here, "logrank_r.csv"), row.names = FALSE, quote = FALSE)
cat(sprintf("R %s, survival %s\n", getRversion(), packageVersion("survival")),
    file = file.path(here, "logrank_r_version.txt"))
