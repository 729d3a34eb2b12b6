"""What the application's database role may do, and the grant that gives it exactly that.

The schema belongs to the role that runs the migrations; the services connect as another
role (`croupier db grant ROLE`, run after every `croupier db upgrade`). That role reads and
inserts everywhere, updates and deletes only where the code does (`UPDATE`, `DELETE`,
`INSERT … ON CONFLICT DO UPDATE` and `SELECT … FOR UPDATE` in src/adapters/postgres, which
PostgreSQL all count as UPDATE), and can never change the schema: no CREATE, no TRUNCATE, no
ownership. The books and the audit trail are append-only for it by privilege, not only by
their triggers: a stolen app credential cannot rewrite a ledger entry, nor move a balance
except through ledger_post, which writes the journal entry with it.

A table the map below does not know fails the grant: a new table gets its privileges decided
here, in the change that creates it, rather than inheriting someone's guess."""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.errors import server_message, sqlstate

SCHEMA = "public"

_READ_INSERT = frozenset({"SELECT", "INSERT"})
_UPDATE = _READ_INSERT | {"UPDATE"}
_UPDATE_DELETE = _UPDATE | {"DELETE"}

TABLE_PRIVILEGES: Mapping[str, frozenset[str]] = {
    # The journal and the balances are written only by ledger_post, which runs with its
    # owner's rights (revision 0014): the services read them and insert accounts, nothing more.
    "ledger_transactions": frozenset({"SELECT"}),
    "ledger_legs": frozenset({"SELECT"}),
    "accounts": _READ_INSERT,
    # Append-only: the audit trail, and records that are only ever added.
    "audit_log": _READ_INSERT,
    "currencies": _READ_INSERT,
    "payment_identities": _READ_INSERT,
    "rakeback_claims": _READ_INSERT,  # a paid claim is final (a trigger refuses changes)
    "player_notes": _READ_INSERT,
    "stars_invoices": _READ_INSERT,
    # Alembic's revision marker: the services only check that the schema is current.
    "alembic_version": frozenset({"SELECT"}),
    # Crash's commitment is public and written only by the owner (`croupier crash chain`);
    # its checkpoints are as good as the chain's secret: the services may not read them at all,
    # and get a round's hash from the owner's functions once the round has started (0026).
    "crash_chains": frozenset({"SELECT"}),
    "crash_chain_checkpoints": frozenset(),
    # Rounds are opened and started by the owner's functions; the services finish them (and
    # lock them FOR SHARE while a bet or a cash-out is written), a trigger guarding the hash.
    "crash_rounds": frozenset({"SELECT", "UPDATE"}),
    "crash_bets": _UPDATE,
    # The bot's notices move waiting -> due -> sent (or unreachable, failed); a player who
    # blocked the bot is deleted from bot_unreachable when they write to it again.
    "bot_notices": _UPDATE,
    "bot_unreachable": _UPDATE_DELETE,
    # A player's notification choices: upserted (ON CONFLICT DO UPDATE), never deleted.
    "notice_choices": _UPDATE,
    # A grant raises `spent` (a trigger refuses lowering it) and staff raise `total`.
    "promotion_budgets": _UPDATE,
    # A raise of a budget is decided once (approved or rejected; locked FOR UPDATE first); a
    # trigger refuses any other change and every delete.
    "promotion_budget_raises": _UPDATE,
    # Campaigns change state and count their uses; a redemption gets its bonus id once
    # granted, in the same transaction. Neither is ever deleted.
    "campaigns": _UPDATE,
    "campaign_redemptions": _UPDATE,
    # A bonus is ended once (converted, forfeited, expired; locked FOR UPDATE first); a
    # trigger refuses any other change and every delete.
    "bonuses": _UPDATE,
    # A free bet is played or expires once (locked FOR UPDATE first); a trigger refuses any
    # other change and every delete.
    "free_bets": _UPDATE,
    # A referral commission is settled once per referrer, period and currency: append-only.
    "referral_commissions": _READ_INSERT,
    # Rows with a life cycle (state columns guarded by triggers where it matters).
    "adjustment_requests": _UPDATE,
    "api_keys": _UPDATE,
    "api_key_usage": _UPDATE,  # day totals, added to by upsert
    "bets": _UPDATE,
    "game_limits": _UPDATE,
    "games": _UPDATE,
    # A mines field: inserted when the game opens, updated by its steps (a trigger keeps
    # the positions and the revealed tiles so far), never deleted.
    "mines_games": _UPDATE,
    # Duels step (and are locked) through their states; their dice are only ever added.
    "duels": _UPDATE,
    "duel_rolls": _READ_INSERT,
    # Lobbies likewise; a seat is updated once, when it is left.
    "duel_lobbies": _UPDATE,
    "duel_lobby_seats": _UPDATE,
    "duel_lobby_rolls": _READ_INSERT,
    # The groups duels are played in: upserted at each check (ON CONFLICT DO UPDATE).
    "duel_groups": _UPDATE,
    # Crypto Pay invoices step pending -> active -> paid (a trigger guards the steps), locked
    # FOR UPDATE by the webhook and the poller; never deleted.
    "crypto_invoices": _UPDATE,
    # Answers kept by an aggregator's request id: inserted once, never changed, deleted by the
    # retention (`croupier aggregator forget-answers`).
    "aggregator_answers": _READ_INSERT | {"DELETE"},
    # The aggregators' game catalogue: upserted by the refresh, switched by the operator
    # (locked FOR UPDATE first); never deleted (a game gone from the list is unlisted).
    "aggregator_games": _UPDATE,
    # Events are never updated (the relay keeps a watermark in outbox_relay instead).
    "outbox": _READ_INSERT,
    "outbox_events": frozenset({"SELECT"}),  # a view
    "outbox_relay": frozenset({"SELECT", "UPDATE"}),
    "outbox_sequences": _UPDATE,
    "player_preferences": _UPDATE,
    "players": _UPDATE,
    "provider_transactions": _UPDATE,
    "responsible_exclusions": _UPDATE,
    # Only locked (SELECT … FOR UPDATE serialises a player's bets), which needs UPDATE.
    "responsible_profiles": _UPDATE,
    "risk_flags": _UPDATE,
    "seamless_rounds": _UPDATE,
    "seed_pairs": _UPDATE,
    "staff": _UPDATE,
    "staff_api_keys": _UPDATE,
    "stars_payments": _UPDATE,
    "withdrawals": _UPDATE,
    # A player's limits and reality check are removed when they lift them.
    "responsible_limits": _UPDATE_DELETE,
    "responsible_reality_checks": _UPDATE_DELETE,
}

# Functions the application calls (trigger functions run whoever fires them). place_bets runs
# with its owner's rights too (revision 0023), and moves balances only through the posting
# functions. outbox_prune (revision 0028) is the only way to delete outbox rows: published
# ones. placement_snapshot (revision 0033) is the snapshot read, with the caller's rights.
FUNCTIONS = (
    "ledger_post",
    "ledger_post_many",
    "outbox_append",
    "outbox_prune",
    "place_bets",
    "placement_snapshot",
    "place_round_bets",
    "crash_open_round",
    "crash_start_round",
    "crash_round_hash",
)

# Names as `CREATE ROLE` accepts them unquoted: what an operator types in a compose file.
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PrivilegeError(Exception):
    """The grant cannot be made as asked; the message says what to do."""


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def role_identifier(name: str) -> str:
    """The role as a quoted identifier, after checking it is a plain role name."""
    if not _ROLE.fullmatch(name):
        raise PrivilegeError(
            f"{name!r} is not a role name: use lowercase letters, digits and _ (at most 63),"
            " starting with a letter or _"
        )
    return quote_identifier(name)


_ROLE_FACTS = text(
    """
    SELECT r.rolsuper AS superuser,
           r.rolname = current_user AS is_current_user,
           EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = :schema AND pg_has_role(r.oid, c.relowner, 'USAGE'))
               AS owns_objects,
           pg_has_role(r.oid, (SELECT nspowner FROM pg_namespace WHERE nspname = :schema),
                       'USAGE') AS owns_schema
    FROM pg_roles r WHERE r.rolname = :role
    """
)
_TABLES = text(
    "SELECT tablename FROM pg_tables WHERE schemaname = :schema"
    " UNION ALL SELECT viewname FROM pg_views WHERE schemaname = :schema"
)
_FUNCTIONS = text(
    "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    " WHERE n.nspname = :schema AND p.proname = ANY(CAST(:names AS text[]))"
)


def grant_statements(role: str, database: str, tables: Mapping[str, frozenset[str]]) -> list[str]:
    """The statements, in order: take away whatever the role had on the schema's objects,
    then grant the map. Every name is a quoted identifier; there are no values."""
    who = role_identifier(role)
    schema = quote_identifier(SCHEMA)
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}",
        f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {schema} FROM {who}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM {who}",
        # PostgreSQL 15 and later no longer let everyone create in `public`; older servers
        # still do, and the app role is one of everyone.
        f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {quote_identifier(database)} TO {who}",
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
    ]
    for table in sorted(tables):
        if not tables[table]:  # revoked above, and nothing to give
            continue
        privileges = ", ".join(sorted(tables[table]))
        statements.append(
            f"GRANT {privileges} ON TABLE {schema}.{quote_identifier(table)} TO {who}"
        )
    # USAGE allows nextval for the serial ids; not SELECT or UPDATE, so no setval.
    statements.append(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {who}")
    statements += [
        f"GRANT EXECUTE ON FUNCTION {schema}.{quote_identifier(f)} TO {who}" for f in FUNCTIONS
    ]
    return statements


async def grant_app_role(conn: AsyncConnection, role: str) -> list[str]:
    """Give `role` exactly the application's privileges on the current database, in the
    caller's transaction. Safe to repeat. Returns the tables granted."""
    role_identifier(role)
    facts = (await conn.execute(_ROLE_FACTS, {"role": role, "schema": SCHEMA})).first()
    if facts is None:
        raise PrivilegeError(
            f"role {role} does not exist; create it first, e.g."
            f" CREATE ROLE {role} LOGIN PASSWORD '…'"
        )
    if facts.superuser or facts.is_current_user or facts.owns_objects or facts.owns_schema:
        raise PrivilegeError(
            f"role {role} is a superuser or owns the schema or its tables: the services must"
            " connect as a role of their own, not the one that runs the migrations"
        )
    present = set((await conn.execute(_TABLES, {"schema": SCHEMA})).scalars())
    unknown = sorted(present - TABLE_PRIVILEGES.keys())
    if unknown:
        raise PrivilegeError(
            f"no privileges are decided for table(s) {', '.join(unknown)}: add them to"
            " TABLE_PRIVILEGES in adapters/postgres/privileges.py"
        )
    missing = sorted(TABLE_PRIVILEGES.keys() - present)
    functions = set(
        (await conn.execute(_FUNCTIONS, {"schema": SCHEMA, "names": list(FUNCTIONS)})).scalars()
    )
    missing += [f"{f}()" for f in FUNCTIONS if f not in functions]
    if missing:
        raise PrivilegeError(
            f"the schema lacks {', '.join(missing)}: run `croupier db upgrade` first"
        )
    database = (await conn.execute(text("SELECT current_database()"))).scalar_one()
    for statement in grant_statements(role, database, TABLE_PRIVILEGES):
        try:
            # exec_driver_sql: DDL takes no bind parameters, and every name in it is quoted.
            await conn.exec_driver_sql(statement)
        except DBAPIError as error:
            if sqlstate(error) != "42501":  # insufficient_privilege
                raise
            raise PrivilegeError(
                f"this connection may not grant on the schema ({server_message(error)}):"
                " connect as the role that owns it, the one that runs `croupier db upgrade`"
            ) from error
    return sorted(present)
