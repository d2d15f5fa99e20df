"""The run: the pytest plugin, the target, options, outcomes, expectations and the records of checks."""
