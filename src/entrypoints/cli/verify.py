"""`croupier verify`: recompute a provably fair result from its seeds, offline."""

from __future__ import annotations

import click

from entrypoints.cli.failures import guarded


@click.command()
@click.option("--game", required=True, help="dice, coin, roulette, limbo or plinko.")
@click.option("--server-seed", required=True, help="The revealed server seed (64 hex).")
@click.option("--client-seed", required=True)
@click.option("--nonce", required=True, type=int)
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
    server_seed: str,
    client_seed: str,
    nonce: int,
    params: tuple[str, ...],
    house_edge: str,
) -> None:
    """Recompute a provably fair result from its seeds, without touching the database."""
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
