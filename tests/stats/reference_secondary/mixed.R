# Reference values for psytrial.stats.mixed / psytrial.stats.craving.
# Run from this folder: Rscript mixed.R   (R 4.2.2, lme4 1.1-31, nlme)
# Reads craving.csv (written by make_data.py: unbalanced, missed visits and dropout).
# Model: value ~ arm * time + (1 | participant_id), REML, arm reference "low".
#   categorical time: factor(month), reference month 0
#   linear time:      month as a number
# Writes, for each coding (suffix _categorical / _linear):
#   mixed_fixed_<coding>.csv        lmer estimates and SEs (vcov), Wald z, p, and the
#                                   nlme::lme REML estimates and SEs as a second fit
#   mixed_variance_<coding>.csv     participant and residual variances, REML log-likelihood
#   mixed_tests_<coding>.csv        interaction: Wald chi-square on the REML fit, and the
#                                   LR test of anova(reduced, full) (refitted by ML)
#   mixed_differences_<coding>.csv  high - low at each month: L %*% beta, sqrt(L V L')
suppressPackageStartupMessages({ library(lme4); library(nlme) })
d <- read.csv("craving.csv", stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("low", "high"))
d$fmonth <- factor(d$month, levels = sort(unique(d$month)))
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5))

write_fit <- function(coding, full_formula, reduced_formula, lme_fixed) {
  full <- lmer(full_formula, data = d, REML = TRUE, control = ctrl)
  b <- fixef(full); V <- as.matrix(vcov(full)); se <- sqrt(diag(V))
  alt <- lme(lme_fixed, random = ~ 1 | participant_id, data = d, method = "REML",
             control = lmeControl(tolerance = 1e-10, msTol = 1e-10))
  fixed <- data.frame(term = names(b), estimate = unname(b), se = unname(se),
                      z = unname(b / se), p = unname(2 * pnorm(-abs(b / se))),
                      lme_estimate = unname(fixef(alt)),
                      lme_se = unname(sqrt(diag(vcov(alt)))))
  write.csv(fixed, sprintf("mixed_fixed_%s.csv", coding), row.names = FALSE, quote = FALSE)
  vc <- as.data.frame(VarCorr(full))
  write.csv(data.frame(participant_variance = vc$vcov[vc$grp == "participant_id"],
                       residual_variance = vc$vcov[vc$grp == "Residual"],
                       reml_log_likelihood = as.numeric(logLik(full)),
                       n_observations = nrow(d),
                       n_participants = length(unique(d$participant_id))),
            sprintf("mixed_variance_%s.csv", coding), row.names = FALSE, quote = FALSE)
  inter <- grep(":", names(b))
  wald <- as.numeric(t(b[inter]) %*% solve(V[inter, inter], b[inter]))
  reduced <- lmer(reduced_formula, data = d, REML = TRUE, control = ctrl)
  lr <- anova(reduced, full)  # refits both by ML
  write.csv(data.frame(wald_chisq = wald, wald_df = length(inter),
                       wald_p = pchisq(wald, length(inter), lower.tail = FALSE),
                       lr_chisq = lr$Chisq[2], lr_df = lr$Df[2], lr_p = lr$`Pr(>Chisq)`[2]),
            sprintf("mixed_tests_%s.csv", coding), row.names = FALSE, quote = FALSE)
  months <- sort(unique(d$month))
  L <- t(sapply(months, function(m) {
    l <- setNames(numeric(length(b)), names(b)); l["armhigh"] <- 1
    if (coding == "linear") l["armhigh:month"] <- m
    else if (m != months[1]) l[sprintf("armhigh:fmonth%d", m)] <- 1
    l
  }))
  est <- as.numeric(L %*% b); se_d <- sqrt(diag(L %*% V %*% t(L)))
  write.csv(data.frame(month = months, difference = est, se = se_d,
                       ci_low = est - qnorm(0.975) * se_d, ci_high = est + qnorm(0.975) * se_d,
                       p = 2 * pnorm(-abs(est / se_d))),
            sprintf("mixed_differences_%s.csv", coding), row.names = FALSE, quote = FALSE)
}

write_fit("categorical", value ~ arm * fmonth + (1 | participant_id),
          value ~ arm + fmonth + (1 | participant_id), value ~ arm * fmonth)
write_fit("linear", value ~ arm * month + (1 | participant_id),
          value ~ arm + month + (1 | participant_id), value ~ arm * month)
