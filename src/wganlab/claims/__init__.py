"""The published claims (REFERENCE.md section 5) as experiments with measured verdicts."""
