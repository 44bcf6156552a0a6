#!/bin/bash
# tierform lab: the subset of the official mariadb image's healthcheck.sh that health checks use:
# --connect (the server accepts a connection) and --innodb_initialized (InnoDB is up), as the healthcheck user
# whose random password the entrypoint keeps in /var/lib/mysql/.my-healthcheck.cnf.
set -eo pipefail
run() { mariadb --defaults-extra-file=/var/lib/mysql/.my-healthcheck.cnf --protocol=socket --socket=/run/mysqld/mysqld.sock --skip-column-names --batch -e "$1"; }
[ $# -gt 0 ] || set -- --connect
for check in "$@"; do
  case "$check" in
    --connect) run 'SELECT 1' > /dev/null ;;
    --innodb_initialized) [ "$(run "SELECT 1 FROM information_schema.ENGINES WHERE engine='innodb' AND support IN ('YES','DEFAULT','ENABLED')")" = 1 ] ;;
    --su-mysql|--no-defaults|--defaults-file=*) ;;
    *) echo "healthcheck.sh: $check is not supported by the tierform lab image" >&2; exit 2 ;;
  esac
done
