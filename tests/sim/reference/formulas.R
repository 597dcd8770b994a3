# Reference values for psytrial's log-rank sample-size formulas (tests/sim/test_power_formulas.py),
# written in R from the published formulas, independently of the Python code:
#   Schoenfeld (1981), Biometrika 68:316-319:
#     D = (z_{1-a/2} + z_{1-b})^2 / (p (1 - p) log(HR)^2),  p = share in the experimental arm
#   Freedman (1982), Statistics in Medicine 1:121-129, with allocation ratio k = n1 / n0
#   (as in Stata's `power logrank`):
#     D = (z_{1-a/2} + z_{1-b})^2 (1 + k HR)^2 / (k (1 - HR)^2)
# Power from D events counts both rejection tails: pnorm(mu - z) + pnorm(-mu - z).
# Run from the repository root:  Rscript tests/sim/reference/formulas.R
here <- "tests/sim/reference"
grid <- expand.grid(hr = c(0.4, 0.5, 0.6, 0.75, 0.9, 1.5, 2), alpha = c(0.01, 0.05),
                    power = c(0.8, 0.9), p = c(0.5, 2 / 3))
z <- qnorm(1 - grid$alpha / 2) + qnorm(grid$power)
k <- grid$p / (1 - grid$p)
grid$schoenfeld_events <- z^2 / (grid$p * (1 - grid$p) * log(grid$hr)^2)
grid$freedman_events <- z^2 * (1 + k * grid$hr)^2 / (k * (1 - grid$hr)^2)
two_tail <- function(mu, alpha) pnorm(mu - qnorm(1 - alpha / 2)) + pnorm(-mu - qnorm(1 - alpha / 2))
ev <- 60  # power with 60 events
grid$schoenfeld_power60 <- two_tail(sqrt(ev * grid$p * (1 - grid$p)) * abs(log(grid$hr)), grid$alpha)
grid$freedman_power60 <- two_tail(sqrt(ev * k) * abs(1 - grid$hr) / (1 + k * grid$hr), grid$alpha)
out <- grid
out[] <- lapply(out, function(x) sprintf("%.17g", x))
write.csv(out, file.path(here, "formulas_r.csv"), row.names = FALSE, quote = FALSE)
