#!/bin/sh
# tierform lab: the official nginx image's entrypoint: when the command is nginx, run the executable scripts of
# /docker-entrypoint.d in order, then exec it.
set -e

if [ "$1" = "nginx" ] || [ "$1" = "nginx-debug" ]; then
  for f in $(find /docker-entrypoint.d/ -follow -type f -print | sort -V); do
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then
          echo "$0: Launching $f"
          "$f"
        else
          echo "$0: Ignoring $f, not executable"
        fi
        ;;
      *) echo "$0: Ignoring $f" ;;
    esac
  done
  echo "$0: Configuration complete; ready for start up"
fi
exec "$@"
