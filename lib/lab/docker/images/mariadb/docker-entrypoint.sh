#!/bin/bash
# tierform lab: the official mysql/mariadb images' entrypoint contract on Debian's MariaDB 10.11. First start
# with an empty datadir: install the system tables, set the root password (MYSQL_ROOT_PASSWORD, or
# MYSQL_ALLOW_EMPTY_PASSWORD, or MYSQL_RANDOM_ROOT_PASSWORD), create MYSQL_DATABASE and MYSQL_USER with
# MYSQL_PASSWORD (all privileges on that database only), run /docker-entrypoint-initdb.d. MARIADB_* names are
# accepted as well, and every variable may come from a file (*_FILE). Then exec the server as mysql.
set -Eeo pipefail

file_env() {
  local var="$1" mariaVar="MARIADB_${1#MYSQL_}" def="${2:-}" val
  local fileVar="${var}_FILE" mariaFileVar="${mariaVar}_FILE"
  val="$def"
  if [ "${!var:-}" ]; then val="${!var}"
  elif [ "${!mariaVar:-}" ]; then val="${!mariaVar}"
  elif [ "${!fileVar:-}" ]; then val="$(< "${!fileVar}")"
  elif [ "${!mariaFileVar:-}" ]; then val="$(< "${!mariaFileVar}")"
  fi
  export "$var"="$val"
  unset "$fileVar" "$mariaFileVar"
}

if [ "${1:0:1}" = '-' ]; then
  set -- mariadbd "$@"
fi
if [ "$1" = 'mysqld' ]; then
  shift
  set -- mariadbd "$@"
fi

DATADIR=/var/lib/mysql

# As the official images: the environment (and *_FILE secrets) is read first, as the user the container starts as
# (root: a 0400 root-owned secret file is readable), then exported across the switch to mysql.
if [ "$1" = 'mariadbd' ]; then
  file_env MYSQL_ROOT_PASSWORD
  file_env MYSQL_ALLOW_EMPTY_PASSWORD
  file_env MYSQL_RANDOM_ROOT_PASSWORD
  file_env MYSQL_DATABASE
  file_env MYSQL_USER
  file_env MYSQL_PASSWORD
fi

if [ "$1" = 'mariadbd' ] && [ "$(id -u)" = '0' ]; then
  chown -R mysql:mysql "$DATADIR" /run/mysqld
  exec gosu mysql "${BASH_SOURCE[0]}" "$@"
fi

if [ "$1" = 'mariadbd' ] && [ ! -d "$DATADIR/mysql" ]; then
  if [ -z "$MYSQL_ROOT_PASSWORD" ] && [ -z "$MYSQL_ALLOW_EMPTY_PASSWORD" ] && [ -z "$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
    echo >&2 'error: database is uninitialized and password option is not specified'
    echo >&2 '  You need to specify one of MYSQL_ROOT_PASSWORD, MYSQL_ALLOW_EMPTY_PASSWORD and MYSQL_RANDOM_ROOT_PASSWORD'
    exit 1
  fi
  if [ -n "$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
    MYSQL_ROOT_PASSWORD="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)"
    echo "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
  fi
  mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db --auth-root-authentication-method=normal --rpm > /dev/null
  mariadbd --user=mysql --datadir="$DATADIR" --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  for _ in $(seq 60); do
    if mariadb-admin --socket=/run/mysqld/init.sock ping > /dev/null 2>&1; then break; fi
    sleep 0.5
  done
  sql() { mariadb --protocol=socket --socket=/run/mysqld/init.sock -uroot "$@"; }
  sqlEscape() { printf '%s' "$1" | sed -e "s/\\\\/\\\\\\\\/g" -e "s/'/\\\\'/g"; }
  rootPassword="$(sqlEscape "$MYSQL_ROOT_PASSWORD")"
  # As the official image: a healthcheck user with a random password kept in the datadir (0600, mysql).
  healthPassword="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)"
  printf '[mariadb-client]\nuser=healthcheck\npassword=%s\n' "$healthPassword" > "$DATADIR/.my-healthcheck.cnf"
  chmod 0600 "$DATADIR/.my-healthcheck.cnf"
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "DELETE FROM mysql.global_priv WHERE User='' OR (User='root' AND Host NOT IN ('localhost'));"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '${rootPassword}';"
    echo "CREATE USER 'root'@'%' IDENTIFIED BY '${rootPassword}';"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    echo "CREATE USER 'healthcheck'@'localhost' IDENTIFIED BY '${healthPassword}';"
    echo "GRANT USAGE ON *.* TO 'healthcheck'@'localhost';"
    if [ -n "$MYSQL_DATABASE" ]; then
      echo "CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE//\`/\`\`}\`;"
    fi
    if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
      echo "CREATE USER '$(sqlEscape "$MYSQL_USER")'@'%' IDENTIFIED BY '$(sqlEscape "$MYSQL_PASSWORD")';"
      if [ -n "$MYSQL_DATABASE" ]; then
        echo "GRANT ALL ON \`${MYSQL_DATABASE//\`/\`\`}\`.* TO '$(sqlEscape "$MYSQL_USER")'@'%';"
      fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | sql
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "running $f"; # shellcheck disable=SC1090
        . "$f" ;;
      *.sql) echo "running $f"; sql -p"$MYSQL_ROOT_PASSWORD" "${MYSQL_DATABASE:-mysql}" < "$f" ;;
      *.sql.gz) echo "running $f"; gunzip -c "$f" | sql -p"$MYSQL_ROOT_PASSWORD" "${MYSQL_DATABASE:-mysql}" ;;
      *) [ -e "$f" ] && echo "ignoring $f" ;;
    esac
  done
  kill "$pid"
  wait "$pid" || true
  echo 'MariaDB init process done. Ready for start up.'
fi

exec "$@"
