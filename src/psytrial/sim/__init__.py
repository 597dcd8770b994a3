"""Virtual cohorts from scenario files, and the vectorized power engine."""
