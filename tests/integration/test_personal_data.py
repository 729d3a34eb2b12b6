"""Personal data at rest (issue 10), on a database of its own: usernames, withdrawal
destinations and TOTP secrets are sealed, payment identities keyed; nothing personal can be
read from the tables; a key rotation re-seals everything and the old key can then go; the
migration that introduced sealing seals and opens real data both ways."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.clock import SystemClock
from adapters.embedded_servers import ensure_database
from adapters.ids import UuidV7Generator
from adapters.personal_data import PersonalDataCipher, PersonalDataKeyError
from adapters.postgres import migrate
from adapters.postgres.engine import create_engine
from adapters.postgres.personal import identity_digest
from adapters.postgres.uow import start_unit_of_work_factory
from adapters.seed_cipher import SeedCipher
from application.house import HouseBook
from application.postings import AdjustBalance, AdjustBalanceCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.risk import RecordPaymentIdentity, RiskReview
from application.withdrawals import RequestWithdrawal
from application.withdrawals.queries import GetWithdrawal
from domain.money import XTR, Money
from domain.risk import PaymentIdentityKind, RiskPolicy
from domain.staff import Role
from domain.withdrawal_policy import CurrencyWithdrawalLimits, WithdrawalPolicy
from entrypoints.cli import main
from entrypoints.settings.keys import parse_index_key, parse_key_ring

pytestmark = pytest.mark.integration

USERNAME = "Alice_Wonderland"
DESTINATION = "UQ-secret-wallet-42"
PAYER = "+44 7700 900123"
TOTP = "JBSWY3DPEHPK3PXP"
POLICY = WithdrawalPolicy(
    {
        "XTR": CurrencyWithdrawalLimits(
            minimum=1, maximum=10_000, daily=10_000, kyc_threshold=10_000
        )
    },
    wagering_multiple=0,
)
SEED_KEY = secrets.token_bytes(32)
KEY_1, KEY_2, INDEX_KEY = (secrets.token_hex(32) for _ in range(3))
OLD_RING = f"1:{KEY_1}"
NEW_RING = f"2:{KEY_2},1:{KEY_1}"  # the new key first: it seals, the old one still opens


def cipher(ring: str) -> PersonalDataCipher:
    return PersonalDataCipher(*parse_key_ring(ring), parse_index_key(INDEX_KEY))


class Books:
    def __init__(self, url: str, redis_url: str) -> None:
        self.url, self.redis_url = url, redis_url
        self.engine = create_engine(url)

    def env(self, ring: str) -> dict[str, str]:
        return {
            "CROUPIER_DATABASE_URL": self.url,
            "CROUPIER_REDIS_URL": self.redis_url,
            "CROUPIER_SEED_KEY": SEED_KEY.hex(),
            "CROUPIER_HOUSE_SHARDS": "4",
            "CROUPIER_PII_KEYS": ring,
            "CROUPIER_PII_INDEX_KEY": INDEX_KEY,
        }

    async def factory(self, ring: str):
        return await start_unit_of_work_factory(self.engine, 4, SeedCipher(SEED_KEY), cipher(ring))

    async def dump(self, table: str) -> str:
        """Every row of `table` as text, the way a leaked dump or replica would show it."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(text(f"SELECT t::text FROM {table} t"))
            return "\n".join(r[0] for r in rows)


@pytest.fixture
async def books(servers):
    """A fresh database holding one player of each kind of personal data, sealed with the
    old key ring: a username, a withdrawal destination, a staff TOTP secret and a payer."""
    server = servers.database_url.rpartition("/")[0] + "/postgres"
    url = await asyncio.to_thread(ensure_database, server, "croupier_personal", recreate=True)
    await asyncio.to_thread(migrate.upgrade, url)  # empty: nothing to seal, no keys needed
    books = Books(url, servers.redis_url)
    uow = await books.factory(OLD_RING)
    clock, ids, house = SystemClock(), UuidV7Generator(), HouseBook(shards=4)
    register = RegisterPlayer(uow, clock)
    alice_joins = RegisterPlayerCommand(1001, USERNAME, currencies=(XTR,), accept_terms=True)
    alice = (await register(alice_joins)).player  # past the terms, so she may withdraw
    await register(RegisterPlayerCommand(1002, currencies=(XTR,)))  # no username at all
    await AdjustBalance(uow, clock, ids, house)(
        AdjustBalanceCommand(alice.id, Money(500, XTR), "funds", "tests", "fund-alice")
    )
    review = RiskReview(RiskPolicy())
    request = RequestWithdrawal(uow, clock, ids, house, POLICY, review)
    withdrawal = await request(alice.id, Money(100, XTR), DESTINATION, uuid.uuid4())
    await RecordPaymentIdentity(uow, clock, review)(
        alice.id, PaymentIdentityKind.PROVIDER_PAYER, PAYER
    )
    async with uow() as tx:
        member = await tx.staff.add("ops.alice", "$argon2id$x", Role.ADMIN, datetime.now(UTC))
        await tx.staff.set_pending_totp_secret(member.id, TOTP)
        assert await tx.staff.confirm_totp(member.id, 0)
        await tx.commit()
    books.alice, books.withdrawal = alice, withdrawal
    yield books
    await books.engine.dispose()


async def _read_back(books: Books, ring: str) -> tuple[str | None, str, str | None]:
    uow = await books.factory(ring)
    async with uow() as tx:
        player = await tx.players.get(books.alice.id)
        found = await tx.staff.credentials("ops.alice")
    withdrawal = await GetWithdrawal(uow)(books.withdrawal.id)
    assert found is not None
    return player.username, withdrawal.destination, found[2]


async def test_nothing_personal_is_readable_at_rest_and_the_application_reads_it_all(books):
    assert await _read_back(books, OLD_RING) == (USERNAME, DESTINATION, TOTP)
    dump = "\n".join(
        [await books.dump(t) for t in ("players", "withdrawals", "staff", "payment_identities")]
    )
    for secret in (USERNAME, USERNAME.casefold(), DESTINATION, DESTINATION.casefold(), TOTP):
        assert secret not in dump
    # Not even the identities' plain sha256, which anyone could test guesses against.
    for identity in ("+447700900123", DESTINATION.casefold()):
        assert hashlib.sha256(identity.encode()).hexdigest() not in dump
    assert identity_digest(cipher(OLD_RING), "+447700900123") in dump


async def test_a_sealed_value_opens_only_in_its_own_row_and_under_a_configured_key(books):
    async with books.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE players SET (username_sealed, username_index) ="
                " (SELECT username_sealed, username_index FROM players WHERE id = :from)"
                " WHERE telegram_user_id = 1002"
            ),
            {"from": books.alice.id},
        )
    uow = await books.factory(OLD_RING)
    async with uow() as tx:
        with pytest.raises(PersonalDataKeyError, match="does not open"):
            await tx.players.find_by_telegram_id(1002)
    stranger = await books.factory(f"1:{secrets.token_hex(32)}")
    async with stranger() as tx:
        with pytest.raises(PersonalDataKeyError, match="does not open"):
            await tx.players.get(books.alice.id)
    retired = await books.factory(f"2:{KEY_2}")
    async with retired() as tx:
        with pytest.raises(PersonalDataKeyError, match="key 1, which is not in"):
            await tx.players.get(books.alice.id)


async def _cli(books: Books, ring: str, *args: str):
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=books.env(ring))


async def test_a_rotation_reseals_everything_and_the_old_key_can_go(books):
    before = await _cli(books, NEW_RING, "pii", "status")
    assert before.exit_code == 1, before.output
    assert "players.username_sealed: 1 under an older key" in before.output
    assert "withdrawals.destination_sealed: 1 under an older key" in before.output
    assert "staff.totp_sealed: 1 under an older key" in before.output
    # With the new key first, everything still opens and new values are sealed with it.
    assert await _read_back(books, NEW_RING) == (USERNAME, DESTINATION, TOTP)

    rotated = await _cli(books, NEW_RING, "pii", "rotate")
    assert rotated.exit_code == 0, rotated.output
    assert "players.username_sealed: 1 re-sealed" in rotated.output
    again = await _cli(books, NEW_RING, "pii", "rotate")
    assert "players.username_sealed: 0 re-sealed" in again.output
    after = await _cli(books, NEW_RING, "pii", "status")
    assert after.exit_code == 0, after.output

    # The old key can leave the ring: the new one alone opens everything, the old alone nothing.
    assert await _read_back(books, f"2:{KEY_2}") == (USERNAME, DESTINATION, TOTP)
    with pytest.raises(PersonalDataKeyError):
        await _read_back(books, OLD_RING)
    # The index key did not change, so staff still find the player by name.
    async with books.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT id FROM players WHERE username_index = :i"),
            {"i": cipher(NEW_RING).index(USERNAME.casefold(), "players.username")},
        )
        assert [r.id for r in found] == [books.alice.id]


async def test_a_destination_changes_only_by_being_resealed_under_another_key(books):
    async with books.engine.begin() as conn:
        sealed = (
            await conn.execute(
                text("SELECT destination_sealed FROM withdrawals WHERE id = :id"),
                {"id": books.withdrawal.id},
            )
        ).scalar_one()
    forged = bytes(sealed[:2]) + secrets.token_bytes(len(sealed) - 2)  # same key id
    with pytest.raises(DBAPIError, match="cannot change what was requested"):
        async with books.engine.begin() as conn:
            await conn.execute(
                text("UPDATE withdrawals SET destination_sealed = :s WHERE id = :id"),
                {"s": forged, "id": books.withdrawal.id},
            )


async def test_the_sealing_migration_opens_and_seals_real_data_both_ways(books):
    keys = cipher(OLD_RING)
    await asyncio.to_thread(migrate.downgrade, books.url, "0012", personal=keys)
    async with books.engine.connect() as conn:
        plain = (
            await conn.execute(
                text(
                    "SELECT p.username, w.destination, s.totp_secret FROM players p, withdrawals w,"
                    " staff s WHERE p.id = :p AND w.id = :w AND s.username = 'ops.alice'"
                ),
                {"p": books.alice.id, "w": books.withdrawal.id},
            )
        ).one()
        hashes = {
            r.hash
            for r in await conn.execute(
                text("SELECT hash FROM payment_identities WHERE kind = 'withdrawal_destination'")
            )
        }
    assert tuple(plain) == (USERNAME, DESTINATION, TOTP)
    assert hashes == {hashlib.sha256(DESTINATION.casefold().encode()).hexdigest()}

    with pytest.raises(RuntimeError, match="CROUPIER_PII_KEYS"):
        await asyncio.to_thread(migrate.upgrade, books.url)
    await asyncio.to_thread(migrate.upgrade, books.url, personal=keys)
    assert await _read_back(books, OLD_RING) == (USERNAME, DESTINATION, TOTP)
    dump = await books.dump("players") + await books.dump("withdrawals")
    assert USERNAME not in dump
    assert DESTINATION not in dump
    async with books.engine.connect() as conn:
        rekeyed = await conn.execute(
            text("SELECT hash FROM payment_identities WHERE kind = 'withdrawal_destination'")
        )
        assert {r.hash for r in rekeyed} == {identity_digest(keys, DESTINATION.casefold())}
