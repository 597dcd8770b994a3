"""The statistical analysis plan as code: tidy tables in, frozen result objects out."""
