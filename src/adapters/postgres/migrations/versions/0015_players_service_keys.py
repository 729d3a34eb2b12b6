"""API keys may be granted the players service (recording terms acceptance over gRPC).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26

The services a key may call are checked by the table as well as by the code (0004), so a key
for a service that does not exist cannot be written by hand either. Downgrading refuses while
an active or revoked key still names the players service: delete or re-issue those first.
"""

from adapters.postgres.sqlscript import execute_script

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE api_keys DROP CONSTRAINT api_keys_services_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_services_check CHECK (cardinality(services) > 0
    AND services <@ ARRAY['wallet', 'betting', 'seamless', 'players']);
"""

DOWNGRADE = r"""
ALTER TABLE api_keys DROP CONSTRAINT api_keys_services_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_services_check CHECK (cardinality(services) > 0
    AND services <@ ARRAY['wallet', 'betting', 'seamless']);
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
