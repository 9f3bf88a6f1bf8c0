"""The append-only, hash-chained trail of every write."""
