"""The composition root: the one place where adapters meet the use cases.

Each module holds the dishka provider of one area (`infrastructure`: connections and the
adapters every area shares; `access`, `players`, `ledger`, `betting`, `reports`, `payments`,
`risk`, `responsible`, `live`, `miniapp`, `bot`), `containers` builds the container of each
process kind from the groups its doors use, and `ledger_totals` joins the ledger's totals to
their gauges for `croupier run`. Controllers (HTTP, gRPC, the bot) ask the container for use cases
and never import an adapter; an import-linter contract in pyproject.toml holds them to it."""
