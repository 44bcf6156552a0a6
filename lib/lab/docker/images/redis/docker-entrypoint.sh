#!/bin/sh
# tierform lab: the official redis image's entrypoint contract on Debian's Redis 7.0. Arguments starting with '-'
# or a *.conf file are given to redis-server; as root, /data is given to redis and the server runs as redis.
# The official build compiles Redis with protected mode off and binding every address: without a configuration
# file, the same is passed on the command line (an explicit --protected-mode or --bind wins, coming later).
set -e

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi

if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec gosu redis "$0" "$@"
fi

if [ "$1" = 'redis-server' ]; then
  shift
  case "${1:-}" in
    *.conf) exec redis-server "$@" ;;
    *) exec redis-server --protected-mode no --bind '* -::*' --dir /data "$@" ;;
  esac
fi
exec "$@"
