"""Health: the `croupier health` probes (`commands`, small clients of the services' own health
endpoints in `probes`) and the heartbeat file that `croupier run` keeps (`heartbeat`).

Kept light on purpose: a container health check runs `croupier health` every few seconds, and
the console script (entrypoints.process.launcher) reaches this package without importing the
rest of the CLI. Import nothing heavy here."""
