"""Players, accounts and currencies in PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.personal_data import PersonalDataCipher
from adapters.postgres.personal import open_username, username_index, username_place
from domain.accounts import Account, AccountKind
from domain.errors import InvalidRequest, NotFound
from domain.money import Currency, CurrencyRegistry
from domain.players import KycStatus, Player, PlayerStatus
from domain.standing import PlayerStanding

_INSERT_PLAYER = text(
    """
    INSERT INTO players (telegram_user_id, username_sealed, username_index, language_code,
                         created_at)
    VALUES (:tg, :sealed, :index, :language, :now)
    ON CONFLICT ON CONSTRAINT uq_players_telegram_user_id DO NOTHING
    RETURNING id, telegram_user_id, username_sealed, language_code, status, created_at
    """
)
_PLAYER_BY_TG = text(
    "SELECT id, telegram_user_id, username_sealed, language_code, status, created_at"
    " FROM players WHERE telegram_user_id = :tg"
)
_PLAYER_BY_ID = text(
    "SELECT id, telegram_user_id, username_sealed, language_code, status, created_at"
    " FROM players WHERE id = :id"
)

_INSERT_PLAYER_ACCOUNT = text(
    """
    INSERT INTO accounts (kind, currency, player_id, allow_negative)
    VALUES (:kind, :currency, :player, false)
    ON CONFLICT ON CONSTRAINT uq_accounts_wallet DO NOTHING
    RETURNING id, kind, currency, balance, player_id, shard
    """
)
_PLAYER_ACCOUNT = text(
    "SELECT id, kind, currency, balance, player_id, shard"
    " FROM accounts WHERE player_id = :player AND currency = :currency AND kind = :kind"
)
_WALLET_IDS = text(
    "SELECT player_id, id FROM accounts"
    " WHERE player_id = ANY(CAST(:players AS bigint[])) AND currency = :currency"
    " AND kind = 'player_wallet'"
)
_WALLETS = text(
    "SELECT id, kind, currency, balance, player_id, shard"
    " FROM accounts WHERE player_id = :player AND kind = 'player_wallet' ORDER BY currency"
)
_ACCOUNT = text("SELECT id, kind, currency, balance, player_id, shard FROM accounts WHERE id = :id")
_INSERT_HOUSE = text(
    """
    INSERT INTO accounts (kind, currency, shard, allow_negative)
    VALUES (:kind, :currency, :shard, :negative)
    ON CONFLICT (kind, currency, shard) WHERE shard IS NOT NULL DO NOTHING
    RETURNING id
    """
)
_HOUSE = text(
    "SELECT id FROM accounts WHERE kind = :kind AND currency = :currency AND shard = :shard"
)


def _player(row: Any, personal: PersonalDataCipher) -> Player:
    return Player(
        id=row.id,
        telegram_user_id=row.telegram_user_id,
        username=open_username(personal, row),
        language_code=row.language_code,
        status=PlayerStatus(row.status),
        created_at=row.created_at,
    )


_MAX_BIGINT = 2**63 - 1


def _require_storable(player_id: int) -> None:
    # No player can have an id outside bigint; asking would make the driver fail instead.
    if not 0 < player_id <= _MAX_BIGINT:
        raise NotFound(f"no player with id {player_id}")


# A player with no preferences row (registered by an internal service, never through the bot
# or the Mini App) has not accepted the terms.
_STANDING = text(
    """
    SELECT p.status, p.kyc_status, pp.terms_accepted_at IS NOT NULL AS terms_accepted
    FROM players p LEFT JOIN player_preferences pp ON pp.player_id = p.id
    WHERE p.id = :id
    """
)


class SqlPlayers:
    def __init__(self, conn: AsyncConnection, personal: PersonalDataCipher) -> None:
        self._conn = conn
        self._personal = personal

    async def register(
        self,
        telegram_user_id: int,
        *,
        username: str | None,
        language_code: str | None,
        now: datetime,
    ) -> tuple[Player, bool]:
        sealed = index = None
        if username is not None:
            sealed = self._personal.seal(username, username_place(telegram_user_id))
            index = username_index(self._personal, username)
        params = {"tg": telegram_user_id, "sealed": sealed, "index": index, "now": now}
        row = (
            await self._conn.execute(_INSERT_PLAYER, {**params, "language": language_code})
        ).first()
        if row is not None:
            return _player(row, self._personal), True
        # ON CONFLICT waited for a racing insert to commit; this new statement sees its row.
        row = (await self._conn.execute(_PLAYER_BY_TG, {"tg": telegram_user_id})).one()
        return _player(row, self._personal), False

    async def get(self, player_id: int) -> Player:
        _require_storable(player_id)
        row = (await self._conn.execute(_PLAYER_BY_ID, {"id": player_id})).first()
        if row is None:
            raise NotFound(f"no player with id {player_id}")
        return _player(row, self._personal)

    async def find_by_telegram_id(self, telegram_user_id: int) -> Player | None:
        row = (await self._conn.execute(_PLAYER_BY_TG, {"tg": telegram_user_id})).first()
        return None if row is None else _player(row, self._personal)

    async def set_status(
        self, player_id: int, status: PlayerStatus, reason: str
    ) -> tuple[PlayerStatus, str | None]:
        _require_storable(player_id)
        # The CTE locks the row first, so what it returns is the state this change replaced.
        row = (
            await self._conn.execute(
                text(
                    """
                    WITH old AS (
                        SELECT id, status, status_reason FROM players WHERE id = :id FOR UPDATE
                    )
                    UPDATE players p SET status = :status, status_reason = :reason
                    FROM old WHERE p.id = old.id
                    RETURNING old.status, old.status_reason
                    """
                ),
                {"id": player_id, "status": status.value, "reason": reason},
            )
        ).first()
        if row is None:
            raise NotFound(f"no player with id {player_id}")
        return PlayerStatus(row.status), row.status_reason

    async def add_note(self, player_id: int, *, author: str, body: str, now: datetime) -> int:
        _require_storable(player_id)
        note_id = (
            await self._conn.execute(
                text(
                    "INSERT INTO player_notes (player_id, author, body, created_at)"
                    " SELECT id, :author, :body, :now FROM players WHERE id = :id"
                    " RETURNING id"
                ),
                {"id": player_id, "author": author, "body": body, "now": now},
            )
        ).scalar()
        if note_id is None:
            raise NotFound(f"no player with id {player_id}")
        return int(note_id)

    async def standing(self, player_id: int) -> PlayerStanding:
        _require_storable(player_id)
        row = (await self._conn.execute(_STANDING, {"id": player_id})).first()
        if row is None:
            raise NotFound(f"no player with id {player_id}")
        return PlayerStanding(
            player_id, PlayerStatus(row.status), row.terms_accepted, kyc=KycStatus(row.kyc_status)
        )

    async def set_kyc_status(self, player_id: int, status: KycStatus) -> KycStatus:
        _require_storable(player_id)
        # As in set_status: the CTE locks the row, so it returns the status this one replaced.
        previous = (
            await self._conn.execute(
                text(
                    """
                    WITH old AS (
                        SELECT id, kyc_status FROM players WHERE id = :id FOR NO KEY UPDATE
                    )
                    UPDATE players p SET kyc_status = :status
                    FROM old WHERE p.id = old.id
                    RETURNING old.kyc_status
                    """
                ),
                {"id": player_id, "status": status.value},
            )
        ).scalar()
        if previous is None:
            raise NotFound(f"no player with id {player_id}")
        return KycStatus(previous)


class SqlAccounts:
    def __init__(
        self,
        conn: AsyncConnection,
        currencies: CurrencyRegistry,
        house_ids: dict[tuple[str, str, int], int],
    ) -> None:
        self._conn = conn
        self._currencies = currencies
        # House account ids never change once created, so they are remembered for the life of
        # the process (filled at start-up): a bet then costs no lookup for the house side.
        self._house_ids = house_ids

    def _account(self, row: Any) -> Account:
        return Account(
            id=row.id,
            kind=AccountKind(row.kind),
            currency=self._currencies.get(row.currency),
            balance=row.balance,
            player_id=row.player_id,
            shard=row.shard,
        )

    async def _open(self, kind: AccountKind, player_id: int, currency: Currency) -> Account:
        params = {"player": player_id, "currency": currency.code, "kind": kind.value}
        row = (await self._conn.execute(_INSERT_PLAYER_ACCOUNT, params)).first()
        if row is None:
            row = (await self._conn.execute(_PLAYER_ACCOUNT, params)).one()
        return self._account(row)

    async def _find(self, kind: AccountKind, player_id: int, currency: Currency) -> Account | None:
        params = {"player": player_id, "currency": currency.code, "kind": kind.value}
        row = (await self._conn.execute(_PLAYER_ACCOUNT, params)).first()
        return None if row is None else self._account(row)

    async def open_wallet(self, player_id: int, currency: Currency) -> Account:
        return await self._open(AccountKind.PLAYER_WALLET, player_id, currency)

    async def wallet(self, player_id: int, currency: Currency) -> Account | None:
        return await self._find(AccountKind.PLAYER_WALLET, player_id, currency)

    async def open_bonus_account(self, player_id: int, currency: Currency) -> Account:
        return await self._open(AccountKind.PLAYER_BONUS, player_id, currency)

    async def bonus_account(self, player_id: int, currency: Currency) -> Account | None:
        return await self._find(AccountKind.PLAYER_BONUS, player_id, currency)

    async def wallet_ids(self, player_ids: Sequence[int], currency: Currency) -> Mapping[int, int]:
        params = {"players": sorted(set(player_ids)), "currency": currency.code}
        return {int(r.player_id): int(r.id) for r in await self._conn.execute(_WALLET_IDS, params)}

    async def wallets(self, player_id: int) -> Sequence[Account]:
        rows = await self._conn.execute(_WALLETS, {"player": player_id})
        return [self._account(r) for r in rows]

    async def get(self, account_id: int) -> Account:
        row = (await self._conn.execute(_ACCOUNT, {"id": account_id})).first()
        if row is None:
            raise NotFound(f"no account with id {account_id}")
        return self._account(row)

    async def house_account_id(self, kind: AccountKind, currency: Currency, shard: int) -> int:
        if not kind.is_house:
            raise InvalidRequest(f"{kind} is not a house account")
        key = (kind.value, currency.code, shard)
        cached = self._house_ids.get(key)
        if cached is not None:
            return cached
        params = {"kind": kind.value, "currency": currency.code, "shard": shard}
        account_id = (
            await self._conn.execute(_INSERT_HOUSE, {**params, "negative": kind.may_go_negative})
        ).scalar()
        if account_id is None:
            account_id = (await self._conn.execute(_HOUSE, params)).scalar_one()
        # Not cached: this unit of work may still roll back. The cache is filled only by
        # `provision_house_accounts`, which commits before it remembers anything.
        return int(account_id)

    async def house_balance(self, kind: AccountKind, currency: Currency) -> int:
        total = (
            await self._conn.execute(
                _HOUSE_BALANCE, {"kind": kind.value, "currency": currency.code}
            )
        ).scalar_one()
        return int(total)


_HOUSE_BALANCE = text(
    "SELECT COALESCE(sum(balance), 0) FROM accounts"
    " WHERE kind = :kind AND currency = :currency AND player_id IS NULL"
)


async def provision_house_accounts(
    conn: AsyncConnection, currencies: CurrencyRegistry, shards: int
) -> dict[tuple[str, str, int], int]:
    """Create every shard of every house account for every currency (idempotent, committed by
    the caller) and return their ids for the process-wide cache."""
    await conn.execute(
        text(
            """
            INSERT INTO accounts (kind, currency, shard, allow_negative)
            SELECT k.kind, c.code, s.shard, k.kind = ANY(CAST(:negative AS text[]))
            FROM unnest(CAST(:kinds AS text[])) AS k(kind)
            CROSS JOIN unnest(CAST(:codes AS text[])) AS c(code)
            CROSS JOIN generate_series(0, :shards - 1) AS s(shard)
            ON CONFLICT (kind, currency, shard) WHERE shard IS NOT NULL DO NOTHING
            """
        ),
        {
            "kinds": [k.value for k in AccountKind if k.is_house],
            "negative": [k.value for k in AccountKind if k.is_house and k.may_go_negative],
            "codes": [c.code for c in currencies.all()],
            "shards": shards,
        },
    )
    result = await conn.execute(
        text("SELECT id, kind, currency, shard FROM accounts WHERE player_id IS NULL")
    )
    return {(r.kind, r.currency, r.shard): r.id for r in result}


class SqlCurrencies:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def all(self) -> Sequence[Currency]:
        rows = await self._conn.execute(
            text("SELECT code, exponent, name FROM currencies ORDER BY code")
        )
        return [Currency(r.code, r.exponent, r.name) for r in rows]

    async def add(self, currency: Currency) -> bool:
        row = (
            await self._conn.execute(
                text(
                    """
                    INSERT INTO currencies (code, exponent, name) VALUES (:code, :exp, :name)
                    ON CONFLICT (code) DO NOTHING RETURNING code
                    """
                ),
                {"code": currency.code, "exp": currency.exponent, "name": currency.name},
            )
        ).first()
        if row is not None:
            return True
        existing = (
            await self._conn.execute(
                text("SELECT exponent FROM currencies WHERE code = :code"),
                {"code": currency.code},
            )
        ).scalar_one()
        if existing != currency.exponent:
            raise InvalidRequest(
                f"{currency.code} exists with exponent {existing}, not {currency.exponent}"
            )
        return False
