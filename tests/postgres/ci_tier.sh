#!/usr/bin/env bash
# The Postgres checkpointer against a real PostgreSQL server: installs Debian's postgresql
# when missing (root only), starts the cluster, creates a throwaway database and runs the
# tests marked `postgres` with VLCREW_TEST_POSTGRES_URL pointing at it.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then echo "postgres tier: no PostgreSQL and not root; skipped"; exit 0; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | grep -q online; then
  pg_lsclusters -h | grep -q . || pg_createcluster "$version" main >/dev/null
  pg_ctlcluster "$version" main start
fi
su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'vlcrew'\""
su postgres -c "psql -q -c 'DROP DATABASE IF EXISTS vlcrew_test'"
su postgres -c "psql -q -c 'CREATE DATABASE vlcrew_test'"
.venv/bin/python -m pip install -q -e '.[test,postgres]' 2>&1 | grep -v "is ignored" || true
VLCREW_TEST_POSTGRES_URL="postgresql://postgres:vlcrew@127.0.0.1:5432/vlcrew_test" \
  .venv/bin/python -m pytest -q -m postgres -p no:cacheprovider
