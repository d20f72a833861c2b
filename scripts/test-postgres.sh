#!/usr/bin/env bash
# Starts a private PostgreSQL for the tests (127.0.0.1:55432, trust auth, its own data folder)
# and prints its URL. Installs Debian's postgresql when it is missing. Where PostgreSQL cannot
# be installed or started, prints why on stderr and nothing on stdout: under `make test`
# (SYNCPLAN_REQUIRE_POSTGRES=1) the PostgreSQL tests then fail, elsewhere they are skipped.
set -u
port=${SYNCPLAN_TEST_PG_PORT:-55432}
dir=${SYNCPLAN_TEST_PG_DIR:-/tmp/syncplan-test-pg-$(id -u)}
notice() { echo "notice: the test PostgreSQL could not be started: $*" >&2; exit 0; }
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
  echo "Installing PostgreSQL from Debian's packages..." >&2
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql; } >/dev/null 2>&1 ||
    notice "postgresql could not be installed (no root or sudo, or no package access)"
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] || notice "postgresql is not where Debian installs it"
fi

# PostgreSQL refuses to run as root; root runs it as Debian's postgres user.
# runuser lives in /usr/sbin, which a non-login shell's PATH may lack.
runuser=$(command -v runuser || echo /usr/sbin/runuser)
as_db_user() {
  if [ "$(id -u)" = 0 ]; then "$runuser" -u postgres -- "$@"; else "$@"; fi
}
if ! as_db_user "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  mkdir -p "$dir" || notice "cannot create $dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_db_user "$bin/initdb" -D "$dir/data" --auth=trust -U syncplan >/dev/null 2>&1 ||
      notice "initdb failed in $dir"
  fi
  as_db_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $dir" start >/dev/null 2>&1 ||
    notice "the server did not start (see $dir/server.log)"
fi
as_db_user "$bin/createdb" -h 127.0.0.1 -p "$port" -U syncplan syncplan_test >/dev/null 2>&1 || true
echo "postgres://syncplan@127.0.0.1:$port/syncplan_test"
