"""Stage 5, names: a readable, deterministic name for every value emitted."""
