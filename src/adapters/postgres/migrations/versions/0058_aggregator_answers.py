"""The aggregators' wallet keeps its answers by request_uuid, and a rollback's own id
(issue 24; docs/aggregators.md, "Repeated requests").

Revision ID: 0058
Revises: 0055
Create Date: 2026-12-03

`aggregator_answers`: the first answer given to one `request_uuid` of one aggregator, with the
SHA-256 of the request's canonical body, written in the same transaction as the money the
call moved (or the tombstone it left); a repeat gets these bytes, another body under the same
id is refused. Inserted once and never changed; deleted only by the retention (`croupier
aggregator forget-answers`), oldest first, hence the index on `created_at`. The app role
reads, inserts and deletes (privileges.py); no UPDATE.

`provider_transactions.rollback_transaction_id`: the rollback's own id (Hub88's
`transaction_uuid` of a rollback), set with the rollback (the debit's one transition, which
the existing guard lets change this column with the state) or on the tombstone; only a rolled
back or cancelled debit carries one, and one rollback id names one debit per provider.
"""

from alembic import op

revision = "0058"
down_revision = "0055"
branch_labels = None
depends_on = None

UPGRADE = (
    """
CREATE TABLE aggregator_answers (
    door text NOT NULL CHECK (length(door) BETWEEN 1 AND 64),
    request_id text NOT NULL CHECK (length(request_id) BETWEEN 1 AND 100),
    body_hash bytea NOT NULL CHECK (length(body_hash) = 32),
    answer bytea NOT NULL CHECK (length(answer) BETWEEN 1 AND 4096),
    created_at timestamptz NOT NULL,
    CONSTRAINT pk_aggregator_answers PRIMARY KEY (door, request_id)
)""",
    "CREATE INDEX ix_aggregator_answers_created ON aggregator_answers (created_at)",
    """
ALTER TABLE provider_transactions ADD COLUMN rollback_transaction_id text,
    ADD CONSTRAINT ck_provider_transactions_rollback_id CHECK (
        rollback_transaction_id IS NULL
        OR (state IN ('rolled_back', 'cancelled')
            AND length(rollback_transaction_id) BETWEEN 1 AND 100))""",
    """
CREATE UNIQUE INDEX uq_provider_transactions_rollback_id
    ON provider_transactions (provider, rollback_transaction_id)
    WHERE rollback_transaction_id IS NOT NULL""",
)

DOWNGRADE = (
    "DROP INDEX uq_provider_transactions_rollback_id",
    "ALTER TABLE provider_transactions DROP CONSTRAINT ck_provider_transactions_rollback_id,"
    " DROP COLUMN rollback_transaction_id",
    "DROP TABLE aggregator_answers",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
