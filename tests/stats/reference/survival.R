# Reference values for psytrial.stats survival and binary analyses (R survival package).
#
# Run from the repository root (R >= 4.2, package survival >= 3.5, jsonlite):
#
#     Rscript tests/stats/reference/survival.R
#
# Reads every tests/stats/reference/data/*.csv (columns id, time, event, arm; made by
# make_datasets.py, except aml.csv which this script writes from survival::aml first) and
# writes tests/stats/reference/output/<dataset>.json. Also writes output/published.json for the
# published 2x2 tables and Newcombe's (1998) worked examples. The Python tests read only the
# committed JSON; they never run R.

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

here <- "tests/stats/reference"
dir.create(file.path(here, "output"), showWarnings = FALSE)
months <- c(1, 3, 6, 12, 18, 24)

# R's own acute myelogenous leukaemia data (Miller 1997), written out so Python reads the same.
aml_out <- data.frame(id = seq_len(nrow(aml)), time = aml$time, event = aml$status,
                      arm = as.character(aml$x))
write.csv(aml_out, file.path(here, "data", "aml.csv"), row.names = FALSE, quote = FALSE)

arm_levels <- function(arm) {
  # The comparison is "high" versus the reference "low" when those ids are used.
  if (all(c("high", "low") %in% arm)) c("low", "high") else sort(unique(arm))
}

safely <- function(expr) tryCatch(expr, error = function(e) list(error = conditionMessage(e)))

km_block <- function(d) {
  fit <- survfit(Surv(time, event) ~ arm, data = d, conf.type = "log-log")
  q <- quantile(fit, probs = 0.5)
  out <- list()
  for (i in seq_along(levels(d$arm))) {
    a <- levels(d$arm)[i]
    s <- fit[i]
    sm <- summary(s, times = months[months <= max(s$time)])
    out[[a]] <- list(
      time = I(s$time), n_risk = I(s$n.risk), n_event = I(s$n.event),
      n_censor = I(s$n.censor), surv = I(s$surv), std_err = I(s$std.err),
      lower = I(s$lower), upper = I(s$upper),
      median = unname(q$quantile[i]), median_lower = unname(q$lower[i]),
      median_upper = unname(q$upper[i]),
      at = list(time = I(sm$time), surv = I(sm$surv), lower = I(sm$lower),
                upper = I(sm$upper), n_risk = I(sm$n.risk), n_event = I(sm$n.event))
    )
  }
  list(call = 'survfit(Surv(time, event) ~ arm, data = d, conf.type = "log-log")', arms = out)
}

logrank_block <- function(d) {
  sd <- survdiff(Surv(time, event) ~ arm, data = d, rho = 0)
  list(call = "survdiff(Surv(time, event) ~ arm, data = d, rho = 0)",
       arms = I(levels(d$arm)), obs = I(as.numeric(sd$obs)), exp = I(as.numeric(sd$exp)),
       var = as.numeric(sd$var[1, 1]), chisq = sd$chisq, df = length(sd$n) - 1,
       p = pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE))
}

cox_block <- function(d) {
  fit <- suppressWarnings(coxph(Surv(time, event) ~ arm, data = d, ties = "efron"))
  s <- summary(fit)
  zph <- safely({
    z <- cox.zph(fit, transform = "km")
    list(call = 'cox.zph(fit, transform = "km")', chisq = z$table[1, "chisq"],
         df = z$table[1, "df"], p = z$table[1, "p"], x = I(z$x), y = I(as.numeric(z$y)))
  })
  list(call = 'coxph(Surv(time, event) ~ arm, data = d, ties = "efron")',
       reference = levels(d$arm)[1], compared = levels(d$arm)[2],
       coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))),
       hr = unname(exp(coef(fit))), lower = s$conf.int[1, "lower .95"],
       upper = s$conf.int[1, "upper .95"],
       # summary()'s waldtest["test"] is rounded to 2 decimals; fit$wald.test is not.
       wald_chisq = unname(fit$wald.test), wald_p = unname(s$waldtest["pvalue"]),
       score_chisq = unname(fit$score), score_p = unname(s$sctest["pvalue"]),
       lr_chisq = unname(s$logtest["test"]), lr_p = unname(s$logtest["pvalue"]),
       loglik = I(fit$loglik), zph = zph)
}

two_by_two <- function(a, n1, b, n2) {
  # Rows are the arms, columns abstinent / not abstinent.
  tab <- matrix(c(a, n1 - a, b, n2 - b), nrow = 2, byrow = TRUE)
  fe <- fisher.test(tab)
  yates <- suppressWarnings(chisq.test(tab, correct = TRUE))
  plain <- suppressWarnings(chisq.test(tab, correct = FALSE))
  # Wilson score intervals are prop.test's intervals without continuity correction; the
  # Newcombe (1998, method 10) hybrid score interval combines them.
  w1 <- suppressWarnings(prop.test(a, n1, correct = FALSE))$conf.int
  w2 <- suppressWarnings(prop.test(b, n2, correct = FALSE))$conf.int
  p1 <- a / n1
  p2 <- b / n2
  list(table = I(c(a, n1, b, n2)), fisher_p = fe$p.value,
       fisher_or = unname(fe$estimate),
       chisq_yates = unname(yates$statistic), p_yates = yates$p.value,
       chisq = unname(plain$statistic), p = plain$p.value,
       rd = p1 - p2,
       rd_lower = p1 - p2 - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2),
       rd_upper = p1 - p2 + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2),
       wilson1 = I(as.numeric(w1)), wilson2 = I(as.numeric(w2)))
}

abstinence_block <- function(d) {
  # Abstinent at month m: no relapse by m (event time > m, or censored at m or later).
  # Known at m: relapsed by m, or followed up to m. "relapse" counts the unknown as relapsed.
  out <- list()
  for (lost in c("relapse", "exclude")) {
    rows <- list()
    for (m in months) {
      abst <- d$time > m | (d$time == m & d$event == 0)
      known <- (d$event == 1 & d$time <= m) | d$time >= m
      keep <- if (lost == "exclude") known else rep(TRUE, nrow(d))
      lv <- levels(d$arm)
      a <- sum(abst & keep & d$arm == lv[2]); n1 <- sum(keep & d$arm == lv[2])
      b <- sum(abst & keep & d$arm == lv[1]); n2 <- sum(keep & d$arm == lv[1])
      r <- list(month = m, arms = I(rev(lv)), n = I(c(a, b)), N = I(c(n1, n2)))
      if (n1 > 0 && n2 > 0) r <- c(r, two_by_two(a, n1, b, n2))
      rows[[length(rows) + 1]] <- r
    }
    out[[lost]] <- rows
  }
  out
}

for (path in Sys.glob(file.path(here, "data", "*.csv"))) {
  name <- sub("\\.csv$", "", basename(path))
  d <- read.csv(path, stringsAsFactors = FALSE)
  d$arm <- factor(d$arm, levels = arm_levels(d$arm))
  res <- list(dataset = name, r_version = R.version.string,
              survival_version = as.character(packageVersion("survival")),
              km = km_block(d), logrank = safely(logrank_block(d)),
              cox = safely(cox_block(d)), abstinence = abstinence_block(d))
  write_json(res, file.path(here, "output", paste0(name, ".json")), digits = NA,
             auto_unbox = TRUE, pretty = TRUE, na = "null")
}

# Published tables -------------------------------------------------------------------------
# Krupitsky et al. 2007 (J Psychoactive Drugs 39:13-19): abstinent at one year, 13 of 26
# (multiple KPT sessions) versus 6 of 27 (single session).
k2007 <- two_by_two(13, 26, 6, 27)
# The same table as individual data, relapses placed at the end of their interval (month 12),
# abstainers censored at month 12 (the APPROXIMATION psytrial documents).
k2007_ind <- data.frame(
  time = 12, event = c(rep(1, 13), rep(0, 13), rep(1, 21), rep(0, 6)),
  arm = factor(c(rep("multiple", 26), rep("single", 27)), levels = c("single", "multiple")))
sd <- survdiff(Surv(time, event) ~ arm, data = k2007_ind)
k2007$logrank <- list(chisq = sd$chisq, p = pchisq(sd$chisq, 1, lower.tail = FALSE),
                      obs = as.numeric(sd$obs), exp = as.numeric(sd$exp),
                      arms = levels(k2007_ind$arm))
fit <- survfit(Surv(time, event) ~ arm, data = k2007_ind, conf.type = "log-log")
k2007$km <- list(arms = levels(k2007_ind$arm), surv = as.numeric(fit$surv),
                 lower = as.numeric(fit$lower), upper = as.numeric(fit$upper))
# Krupitsky & Grinenko 1997 (J Psychoactive Drugs 29:165-183): 73 of 111 vs 24 of 100.
k1997 <- two_by_two(73, 111, 24, 100)
# Fisher's tea-tasting table as in R's ?fisher.test (Agresti 1990): 3 of 4 vs 1 of 4.
tea <- two_by_two(3, 4, 1, 4)
# Newcombe (1998) Table II examples (a)-(h): x1/n1 - x2/n2.
newcombe <- list(c(56, 70, 48, 80), c(9, 10, 3, 10), c(6, 7, 2, 7), c(5, 56, 0, 29),
                 c(0, 10, 0, 20), c(0, 10, 0, 10), c(10, 10, 0, 20), c(10, 10, 0, 10))
newcombe <- lapply(newcombe, function(v) two_by_two(v[1], v[2], v[3], v[4]))
write_json(list(r_version = R.version.string, krupitsky_2007 = k2007,
                krupitsky_1997 = k1997, tea_tasting = tea, newcombe_1998 = newcombe),
           file.path(here, "output", "published.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE, na = "null")
cat("wrote", length(Sys.glob(file.path(here, "output", "*.json"))), "files\n")
