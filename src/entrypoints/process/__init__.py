"""The process itself, apart from what it serves: the console script that starts it
(`launcher`, which must stay light so that health probes skip the full CLI) and the timer of
the jobs `croupier run` repeats (`periodic`). The supervisor of `croupier run` is the body of
that command and stays beside it, in entrypoints.cli.supervisor."""
