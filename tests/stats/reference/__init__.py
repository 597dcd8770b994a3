"""Committed reference values: datasets, the R script that read them, and R's output."""
