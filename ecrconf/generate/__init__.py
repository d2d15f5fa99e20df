"""Generation: what the suite sends, from the schemas and the per-operation tables."""
