"""The benchmark harness behind ``scripts/bench``: Strongroom against nginx, devpi and pypiserver.

Modules: ``corpus`` (building and choosing files), ``procs`` (processes, ports, memory),
``servers`` (starting and loading each server), ``loadgen`` (wrk and its scripts), ``clients``
(twine and uv timings), ``scenarios`` (measuring one server), ``report`` (the table and the
targets), ``run`` (the command line). ``--compare REF`` is an A/B of two Strongroom builds:
``builds`` (the baseline's worktree, which package each build imports), ``compare`` (the two
builds taking turns) and ``ab_report`` (its table). ``scale`` is the separate 100,000-project
scale test.
"""
