"""The append-only, hash-chained audit trail: `record()` inside every action function."""
