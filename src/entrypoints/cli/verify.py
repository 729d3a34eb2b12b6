"""`croupier verify`: recompute a provably fair result from its seeds, offline."""

from __future__ import annotations

import click

from entrypoints.cli.failures import guarded


@click.command()
@click.option("--game", required=True, help="dice, coin, roulette, limbo, plinko, mines or crash.")
@click.option("--server-seed", help="The revealed server seed (64 hex).")
@click.option("--client-seed")
@click.option("--nonce", type=int)
@click.option("--round", "round_number", type=int, help="crash: the round's number in its chain.")
@click.option("--round-hash", help="crash: the round's revealed hash (64 hex).")
@click.option("--salt", help="crash: the chain's public salt.")
@click.option("--chain-end", help="crash: the chain's published end hash (64 hex).")
@click.option(
    "--params",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Bet parameters, e.g. --params direction=over --params target=50.5 (plinko needs"
    " rows and risk: its path has one row per float).",
)
@click.option(
    "--house-edge",
    default="0.01",
    show_default=True,
    help="The edge the bet was placed at (dice and coin multipliers depend on it).",
)
def verify(
    game: str,
    server_seed: str | None,
    client_seed: str | None,
    nonce: int | None,
    round_number: int | None,
    round_hash: str | None,
    salt: str | None,
    chain_end: str | None,
    params: tuple[str, ...],
    house_edge: str,
) -> None:
    """Recompute a provably fair result from its seeds, or a crash round's crash point from its
    hash and check its link to the chain's published end, without touching the database."""
    if game.strip().lower() == "crash":
        _verify_crash(round_number, round_hash, salt, chain_end)
        return
    if server_seed is None or client_seed is None or nonce is None:
        raise click.UsageError(f"--game {game} needs --server-seed, --client-seed and --nonce")
    from domain.games.catalog import parse_house_edge
    from domain.verification import check_outcome

    bet = guarded(lambda: _key_values(params)) if params else None
    edge = guarded(lambda: parse_house_edge(house_edge))
    check = guarded(
        lambda: check_outcome(
            game.strip().lower(),
            server_seed=server_seed.strip().lower(),
            client_seed=client_seed,
            nonce=nonce,
            params=bet,
            house_edge=edge,
        )
    )
    for line in check.lines():
        click.echo(line)


def _verify_crash(
    round_number: int | None, round_hash: str | None, salt: str | None, chain_end: str | None
) -> None:
    if round_number is None or round_hash is None or salt is None or chain_end is None:
        raise click.UsageError("--game crash needs --round, --round-hash, --salt and --chain-end")
    from domain.crash import round_check_lines

    lines = guarded(
        lambda: round_check_lines(
            round_number, round_hash.strip().lower(), salt, chain_end.strip().lower()
        )
    )
    for line in lines:
        click.echo(line)


def _key_values(pairs: tuple[str, ...]) -> dict[str, str]:
    from domain.errors import InvalidRequest
    from domain.quoting import excerpt

    parsed: dict[str, str] = {}
    for pair in pairs:
        for item in pair.split(","):
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise InvalidRequest(f"--params takes KEY=VALUE, got {excerpt(item)}")
            parsed[key.strip()] = value.strip()
    return parsed
