#!/bin/sh
# Run once by the postgres image, as its superuser, when it initialises an empty data volume
# (docker-compose.yml mounts this folder at /docker-entrypoint-initdb.d). Creates the two
# roles of the stack; `croupier db grant croupier_app` (the migrate service) gives the second
# its privileges after every migration:
#   croupier_owner  owns the database and so everything the migrations create; only the
#                   migrate service connects as it. Not a superuser.
#   croupier_app    what the services connect as: read and insert, update and delete only
#                   where the code does, no schema changes (adapters/postgres/privileges.py).
# Passwords come from the container's environment and reach SQL as psql variables (:'…'),
# which psql quotes as literals.
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" \
  -v owner_password="$CROUPIER_OWNER_DB_PASSWORD" \
  -v app_password="$CROUPIER_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE croupier_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE croupier_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
ALTER DATABASE :"db" OWNER TO croupier_owner;
-- Only the owner, and the roles granted CONNECT (croupier_app, by `croupier db grant`), may
-- connect; PostgreSQL lets every role connect by default.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
