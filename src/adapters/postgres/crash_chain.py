"""Commit a crash chain (`croupier crash chain new` / `salt`): run as the schema's owner, the
only role that may write `crash_chains` and read or write its checkpoints (revision 0026).

The secret is generated here, hashed into the chain and dropped: it is never stored, printed
or logged. What is stored instead is every `checkpoint_every`-th link from h_0 (h_0 itself is
as good as the secret), which the services' role cannot read; the database's own functions
hash forward from the nearest checkpoint to a started round's link."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.crash import SECRET_BYTES, first_link, next_link
from domain.errors import IllegalTransition, InvalidRequest

DEFAULT_CHECKPOINT_EVERY = 1000
_INSERT_CHAIN = text(
    "INSERT INTO crash_chains (end_hash, length, checkpoint_every)"
    " VALUES (:end, :length, :every) RETURNING id"
)
_INSERT_CHECKPOINTS = text(
    "INSERT INTO crash_chain_checkpoints (chain_id, link_index, link_hash)"
    " SELECT :chain, i, h FROM unnest(CAST(:indexes AS bigint[]), CAST(:hashes AS text[]))"
    " AS t(i, h)"
)
_SET_SALT = text(
    "UPDATE crash_chains SET salt = :salt WHERE id = :chain AND salt IS NULL RETURNING id"
)


@dataclass(frozen=True, slots=True)
class CommittedChain:
    id: int
    end_hash: str  # publish this before the salt is chosen
    length: int


async def commit_chain(
    conn: AsyncConnection,
    length: int,
    *,
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
    secret: bytes | None = None,
) -> CommittedChain:
    """Generate (or, for tests, take) a secret, hash the chain of `length` links and store its
    end and checkpoints, in the caller's transaction. 10 million links take about ten seconds."""
    if not 1 <= length <= 100_000_000:
        raise InvalidRequest("a crash chain has 1 to 100,000,000 links")
    if not 1 <= checkpoint_every <= 100_000:
        raise InvalidRequest("a checkpoint every 1 to 100,000 links")
    link = first_link(secret if secret is not None else secrets.token_bytes(SECRET_BYTES))
    indexes: list[int] = []
    hashes: list[str] = []
    for index in range(length):
        if index % checkpoint_every == 0:
            indexes.append(index)
            hashes.append(link)
        link = next_link(link)
    chain_id = (
        await conn.execute(
            _INSERT_CHAIN, {"end": link, "length": length, "every": checkpoint_every}
        )
    ).scalar_one()
    step = 10_000
    for start in range(0, len(indexes), step):
        await conn.execute(
            _INSERT_CHECKPOINTS,
            {
                "chain": chain_id,
                "indexes": indexes[start : start + step],
                "hashes": hashes[start : start + step],
            },
        )
    return CommittedChain(int(chain_id), link, length)


async def set_salt(conn: AsyncConnection, chain_id: int, salt: str) -> None:
    """Fix the chain's salt, once, before its first round."""
    salt = salt.strip()
    if not 1 <= len(salt) <= 200:
        raise InvalidRequest("a salt is 1 to 200 characters (e.g. a later Bitcoin block's hash)")
    if (await conn.execute(_SET_SALT, {"chain": chain_id, "salt": salt})).first() is None:
        raise IllegalTransition(f"crash chain {chain_id} does not exist or has its salt already")
