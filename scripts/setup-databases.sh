#!/usr/bin/env bash
# Make the test databases available; source it (it exports variables).
#
# PostgreSQL: a throwaway cluster on 127.0.0.1:${ALEMBIC_GUARD_PG_PORT:-55432}, run as the
#   unprivileged user "postgres" (initdb refuses root); exports ALEMBIC_GUARD_PG.
#   Installs Debian's postgresql package when pg_ctl is missing.
# MariaDB: the local server on 127.0.0.1:3306, started (and installed from Debian's
#   packages) when it is not answering; a test user alembic_guard is created through the
#   root socket; exports ALEMBIC_GUARD_MYSQL_URL.
# Not root: PostgreSQL is left to pytest-postgresql, MariaDB must already run.
set -euo pipefail

_ag_log() { printf 'setup-databases: %s\n' "$*" >&2; }

_ag_apt_install() {
    if [ "$(id -u)" != 0 ]; then
        _ag_log "cannot install $* without root"; return 1
    fi
    if [ -z "${_AG_APT_UPDATED:-}" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        _AG_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

_ag_pg_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

_ag_start_postgresql() {
    local port="${ALEMBIC_GUARD_PG_PORT:-55432}"
    local data="${ALEMBIC_GUARD_PG_DATA:-/tmp/alembic_guard_pg}"
    local bin
    bin="$(_ag_pg_bin)"
    if [ -z "$bin" ]; then
        _ag_log "installing PostgreSQL from Debian's packages"
        _ag_apt_install postgresql
        bin="$(_ag_pg_bin)"
    fi
    if [ "$(id -u)" != 0 ]; then
        export PATH="$bin:$PATH"   # pytest-postgresql starts its own server
        return 0
    fi
    if ! runuser -u postgres -- "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        rm -rf "$data"
        install -d -o postgres -g postgres "$data"
        runuser -u postgres -- "$bin/initdb" -D "$data" -A trust -U postgres >/dev/null
        runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
            -o "-p $port -c listen_addresses=127.0.0.1 -k /tmp -c fsync=off -c full_page_writes=off" start >/dev/null
        _ag_log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') started on 127.0.0.1:$port ($data)"
    fi
    export ALEMBIC_GUARD_PG="127.0.0.1:$port"
}

_ag_mariadb_answers() {
    mariadb-admin --protocol=tcp -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1 \
        || mariadb-admin -u root ping >/dev/null 2>&1
}

_ag_start_mariadb() {
    if [ -n "${ALEMBIC_GUARD_MYSQL_URL:-}" ]; then return 0; fi
    if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
        _ag_log "installing MariaDB from Debian's packages"
        _ag_apt_install mariadb-server mariadb-client
    fi
    if ! _ag_mariadb_answers; then
        install -d -o mysql -g mysql /run/mysqld
        if [ ! -d /var/lib/mysql/mysql ]; then
            mariadb-install-db --user=mysql >/dev/null
        fi
        start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
        for _ in $(seq 1 60); do _ag_mariadb_answers && break; sleep 0.5; done
        _ag_mariadb_answers || { _ag_log "MariaDB did not start"; return 1; }
        _ag_log "MariaDB started"
    fi
    # a password user reachable over TCP, whatever root's authentication is
    mariadb -u root -e "CREATE USER IF NOT EXISTS 'alembic_guard'@'127.0.0.1' IDENTIFIED BY 'alembic_guard';
        CREATE USER IF NOT EXISTS 'alembic_guard'@'localhost' IDENTIFIED BY 'alembic_guard';
        GRANT ALL PRIVILEGES ON *.* TO 'alembic_guard'@'127.0.0.1' WITH GRANT OPTION;
        GRANT ALL PRIVILEGES ON *.* TO 'alembic_guard'@'localhost' WITH GRANT OPTION;" 2>/dev/null \
        || mariadb --protocol=tcp -h 127.0.0.1 -u root -e "CREATE USER IF NOT EXISTS 'alembic_guard'@'127.0.0.1' IDENTIFIED BY 'alembic_guard';
        GRANT ALL PRIVILEGES ON *.* TO 'alembic_guard'@'127.0.0.1' WITH GRANT OPTION;"
    export ALEMBIC_GUARD_MYSQL_URL="mysql+pymysql://alembic_guard:alembic_guard@127.0.0.1:3306"
}

_ag_start_postgresql
_ag_start_mariadb
