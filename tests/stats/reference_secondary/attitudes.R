# Reference values for psytrial.stats.attitudes.
# Run from this folder: Rscript attitudes.R   (R 4.2.2, base stats only)
# Reads attitudes.csv (written by make_data.py); writes attitudes_expected.csv.
# For each concept and follow-up month, on participants with both baseline (month 0) and
# that month: per arm t.test(change) (mean change, 95% CI); between arms
# t.test(change_high, change_low, var.equal = FALSE) and
# lm(follow ~ baseline + arm) with arm reference "low" (coefficient, SE, CI, p).
d <- read.csv("attitudes.csv", stringsAsFactors = FALSE)
rows <- list()
for (concept in unique(d$concept)) {
  s <- d[d$concept == concept, ]
  base <- s[s$month == 0, c("participant_id", "positivity")]
  names(base)[2] <- "baseline"
  for (m in sort(unique(s$month[s$month > 0]))) {
    f <- s[s$month == m, c("participant_id", "arm", "positivity")]
    names(f)[3] <- "follow"
    p <- merge(base, f, by = "participant_id")
    p$change <- p$follow - p$baseline
    p$arm <- factor(p$arm, levels = c("low", "high"))
    h <- p$change[p$arm == "high"]; l <- p$change[p$arm == "low"]
    th <- t.test(h); tl <- t.test(l)
    w <- t.test(h, l, var.equal = FALSE)
    fit <- lm(follow ~ baseline + arm, data = p)
    co <- summary(fit)$coefficients["armhigh", ]
    ci <- confint(fit)["armhigh", ]
    rows[[length(rows) + 1]] <- data.frame(
      concept = concept, month = m, n_high = length(h), n_low = length(l),
      mean_high = mean(h), sd_high = sd(h), ci_low_high = th$conf.int[1],
      ci_high_high = th$conf.int[2], mean_low = mean(l), sd_low = sd(l),
      ci_low_low = tl$conf.int[1], ci_high_low = tl$conf.int[2],
      welch_t = unname(w$statistic), welch_df = unname(w$parameter), welch_p = w$p.value,
      welch_ci_low = w$conf.int[1], welch_ci_high = w$conf.int[2],
      ancova_difference = unname(co["Estimate"]), ancova_se = unname(co["Std. Error"]),
      ancova_t = unname(co["t value"]), ancova_p = unname(co["Pr(>|t|)"]),
      ancova_df = fit$df.residual, ancova_ci_low = unname(ci[1]), ancova_ci_high = unname(ci[2]),
      baseline_slope = unname(coef(fit)["baseline"]))
  }
}
write.csv(do.call(rbind, rows), "attitudes_expected.csv", row.names = FALSE, quote = FALSE)
