"""``make bench``: what the harness itself costs per request, next to what the target costs.

Modules, one job each: ``stub`` (an instant loopback ECR stand-in), ``serve`` (runs moto or the stub in
a process of its own), ``raw`` (the anchor: a raw signed request loop), ``probe`` (the pytest plugin that
measures every test of a benchmarked run), ``measure`` (merges the probe's files into figures),
``runs`` (starts the benchmarked processes), ``report`` (the console table, bench.json and bench.md),
``__main__`` (the command line).
"""
