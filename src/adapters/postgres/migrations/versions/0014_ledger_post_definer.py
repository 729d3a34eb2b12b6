"""Balances move only through ledger_post: it runs with its owner's rights, so the services'
role needs no UPDATE on accounts and no INSERT into the journal.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25

Before this, the services' role (`croupier db grant`) could UPDATE accounts directly, because
ledger_post ran with the caller's rights: a stolen app credential could change a balance
without a journal entry (reconcile would notice, afterwards). Now ledger_post is SECURITY
DEFINER, owned by the schema's owner, with a fixed search_path (so a caller cannot slip its own
objects in), and only the roles it is granted to may call it (not PUBLIC).
"""

from adapters.postgres.sqlscript import execute_script

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_SIGNATURE = (
    "ledger_post(uuid, text, text, bytea, text, jsonb, timestamptz, bigint[], text[], bigint[])"
)

UPGRADE = f"""
ALTER FUNCTION {_SIGNATURE} SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION {_SIGNATURE} FROM PUBLIC;
"""

DOWNGRADE = f"""
GRANT EXECUTE ON FUNCTION {_SIGNATURE} TO PUBLIC;
ALTER FUNCTION {_SIGNATURE} SECURITY INVOKER RESET search_path;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
