#!/usr/bin/env bash
# Stand-ins for python:3.11-slim and postgres:16-alpine, built from Debian's packages with
# debootstrap, for a machine whose Docker engine cannot reach a registry (a closed network).
# They are not the official images; they give the same interface (python/pip on PATH, pip that
# installs system-wide; POSTGRES_USER/PASSWORD/DB, pg_isready) so that the Dockerfile and
# compose.yaml can be built and run there:
#
#   sudo scripts/offline-images.sh            # makes local/python:3.11-bookworm, local/postgres:15-bookworm
#   PYTHON_IMAGE=local/python:3.11-bookworm POSTGRES_IMAGE=local/postgres:15-bookworm scripts/container-check.sh
#
# Needs root, debootstrap and a Debian mirror (MIRROR, default deb.debian.org). The host's own
# certificate authorities (/usr/local/share/ca-certificates) go into the Python image too, so
# that pip works behind a TLS-inspecting proxy the host already trusts.
set -euo pipefail
MIRROR=${MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== local/python:3.11-bookworm (Debian bookworm, Python 3.11)"
debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,passwd,ca-certificates \
  bookworm "$work/py" "$MIRROR" >"$work/py.log" 2>&1 || { tail -20 "$work/py.log"; exit 1; }
rm -f "$work"/py/usr/lib/python3*/EXTERNALLY-MANAGED
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$work/py/usr/local/share/ca-certificates/"
  chroot "$work/py" update-ca-certificates >/dev/null
fi
ln -sf /usr/bin/python3 "$work/py/usr/local/bin/python"
ln -sf /usr/bin/pip3 "$work/py/usr/local/bin/pip"
rm -rf "$work"/py/var/cache/apt/archives/*.deb "$work"/py/var/lib/apt/lists/*
tar -C "$work/py" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' - local/python:3.11-bookworm

echo "== local/postgres:15-bookworm (Debian bookworm's PostgreSQL 15)"
debootstrap --variant=minbase --include=postgresql-15,postgresql-client-15 \
  bookworm "$work/pg" "$MIRROR" >"$work/pg.log" 2>&1 || { tail -20 "$work/pg.log"; exit 1; }
mkdir -p "$work/pg/var/lib/postgresql/data" "$work/pg/var/run/postgresql"
chroot "$work/pg" chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
cat >"$work/pg/usr/local/bin/docker-entrypoint.sh" <<'ENTRY'
#!/bin/sh
# The official image's contract: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
BIN=/usr/lib/postgresql/15/bin
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" >/tmp/pw
  chown postgres /tmp/pw
  runuser -u postgres -- "$BIN/initdb" -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" \
    --pwfile=/tmp/pw --auth-host=scram-sha-256 --auth-local=trust >/dev/null
  rm -f /tmp/pw
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != "${POSTGRES_USER:-postgres}" ]; then
    runuser -u postgres -- "$BIN/postgres" --single -D "$PGDATA" -c listen_addresses='' \
      postgres <<SQL >/dev/null
CREATE DATABASE "$POSTGRES_DB" OWNER "${POSTGRES_USER:-postgres}";
SQL
  elif [ "${POSTGRES_USER:-postgres}" != postgres ]; then
    runuser -u postgres -- "$BIN/postgres" --single -D "$PGDATA" -c listen_addresses='' \
      postgres <<SQL >/dev/null
CREATE DATABASE "$POSTGRES_USER" OWNER "$POSTGRES_USER";
SQL
  fi
fi
exec runuser -u postgres -- "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' "$@"
ENTRY
chmod +x "$work/pg/usr/local/bin/docker-entrypoint.sh"
rm -rf "$work"/pg/var/cache/apt/archives/*.deb "$work"/pg/var/lib/apt/lists/*
tar -C "$work/pg" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/lib/postgresql/15/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV PGDATA=/var/lib/postgresql/data' --change 'VOLUME /var/lib/postgresql/data' \
  --change 'EXPOSE 5432' --change 'ENTRYPOINT ["docker-entrypoint.sh"]' - local/postgres:15-bookworm
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep '^local/'
