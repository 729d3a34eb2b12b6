"""`place_bets` and `ledger_post_many` plan their statements once per connection (issue 19).

Revision ID: 0033
Revises: 0029
Create Date: 2026-12-03

PL/pgSQL keeps a plan for each statement of a function per connection, but under the default
`plan_cache_mode = auto` it plans each one again on every call (a custom plan for the call's
values) whenever it guesses the generic plan dearer. pg_stat_statements with
`track = all, track_planning = on` counted ~1 planning a call for nine of their statements (the
standings check, the seed pairs' and wallets' checks and locks, the postings' read-back and
counts, the call of `ledger_post_many`): about 0.8 ms of PostgreSQL's ~3 ms of CPU for a bet
alone went to planning the same statements again. Every one of those statements finds its rows
by id (`= ANY(array)`, revision 0027), which the generic plan does by index as the custom one
did (tests/integration/test_bet_on_snapshot.py checks the plans), so the functions now run with
`plan_cache_mode = force_generic_plan`: planned once per connection. Nothing else changes (same
checks, locks, errors, grants); the setting applies only while the function runs.
"""

from alembic import op

revision = "0033"
down_revision = "0029"
branch_labels = None
depends_on = None

_FUNCTIONS = (
    "place_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, text, text)",
    "ledger_post_many(uuid[], text[], text[], bytea[], text[], jsonb[], timestamptz[], integer[],"
    " bigint[], text[], bigint[])",
)


def upgrade() -> None:
    for function in _FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} SET plan_cache_mode = force_generic_plan")


def downgrade() -> None:
    for function in _FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} RESET plan_cache_mode")
