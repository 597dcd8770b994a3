# Reference values for the edge cases of psytrial.stats.twosample.
# Run from this folder: Rscript edge_cases.R   (R 4.2.2, base stats only)
# Reads edge_cases.csv (written by make_data.py); writes edge_cases_expected.csv.
# NA where R refuses: t.test stops on one observation or constant data, and wilcox.test
# gives p = NA when every value is tied.
d <- read.csv("edge_cases.csv", stringsAsFactors = FALSE)
rows <- list()
for (case in unique(d$case)) {
  x <- d$value[d$case == case & d$arm == "high"]
  y <- d$value[d$case == case & d$arm == "low"]
  w <- tryCatch(t.test(x, y, var.equal = FALSE), error = function(e) NULL)
  u <- wilcox.test(x, y, exact = FALSE, correct = TRUE)
  rows[[case]] <- data.frame(
    case = case,
    welch_t = if (is.null(w)) NA else unname(w$statistic),
    welch_df = if (is.null(w)) NA else unname(w$parameter),
    welch_p = if (is.null(w)) NA else w$p.value,
    mw_u = unname(u$statistic), mw_p = u$p.value)
}
write.csv(do.call(rbind, rows), "edge_cases_expected.csv", row.names = FALSE, quote = FALSE)
