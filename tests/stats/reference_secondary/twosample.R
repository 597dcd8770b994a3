# Reference values for psytrial.stats.twosample / psytrial.stats.hrs.
# Run from this folder: Rscript twosample.R   (R 4.2.2, metafor 3.8-1)
# Reads hrs.csv (written by make_data.py); writes hrs_expected.csv.
# Per cluster, arm "high" (x) against arm "low" (y):
#   t.test(x, y, var.equal = FALSE)            Welch's t, df, p, CI of the difference
#   wilcox.test(x, y, exact = FALSE, correct = TRUE)   W (= U of x) and p
#   Hedges' g two independent ways:
#     g_ttest: d recovered from the pooled-variance t statistic,
#              d = t_pooled * sqrt(1/nx + 1/ny), times the exact J(m), m = nx + ny - 2,
#              variance 1/nx + 1/ny + g^2 / (2 (nx + ny))  (Hedges & Olkin 1985, p. 86)
#     g_metafor: metafor::escalc(measure = "SMD", vtype = "LS") from the summaries
suppressPackageStartupMessages(library(metafor))
d <- read.csv("hrs.csv", stringsAsFactors = FALSE)
rows <- list()
for (cl in unique(d$cluster)) {
  x <- d$score[d$cluster == cl & d$arm == "high"]
  y <- d$score[d$cluster == cl & d$arm == "low"]
  nx <- length(x); ny <- length(y); m <- nx + ny - 2
  w <- t.test(x, y, var.equal = FALSE)
  u <- wilcox.test(x, y, exact = FALSE, correct = TRUE)
  tp <- t.test(x, y, var.equal = TRUE)$statistic
  j <- exp(lgamma(m / 2) - log(sqrt(m / 2)) - lgamma((m - 1) / 2))
  g1 <- j * tp * sqrt(1 / nx + 1 / ny)
  v1 <- 1 / nx + 1 / ny + g1^2 / (2 * (nx + ny))
  e <- escalc(measure = "SMD", vtype = "LS", m1i = mean(x), m2i = mean(y),
              sd1i = sd(x), sd2i = sd(y), n1i = nx, n2i = ny)
  rows[[cl]] <- data.frame(
    cluster = cl, n_high = nx, n_low = ny,
    mean_high = mean(x), mean_low = mean(y), sd_high = sd(x), sd_low = sd(y),
    welch_t = unname(w$statistic), welch_df = unname(w$parameter), welch_p = w$p.value,
    welch_ci_low = w$conf.int[1], welch_ci_high = w$conf.int[2],
    mw_u = unname(u$statistic), mw_p = u$p.value,
    g_ttest = unname(g1), g_ttest_se = unname(sqrt(v1)),
    g_metafor = as.numeric(e$yi), g_metafor_se = sqrt(as.numeric(e$vi)))
}
out <- do.call(rbind, rows)
write.csv(out, "hrs_expected.csv", row.names = FALSE, quote = FALSE)  # 15 significant digits
