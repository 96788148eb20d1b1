"""The departments' Danish dashboard on the published copy (read-only)."""
