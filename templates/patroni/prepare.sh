#!/bin/sh
# Run by cloud-init before Patroni starts: retires the cluster Debian's
# postgresql-15 package creates (it would hold 127.0.0.1:5432), prepares the
# data directory and lets Patroni (user postgres) open the watchdog.
set -eu
if [ -d /etc/postgresql/15/main ]; then
  pg_dropcluster --stop 15 main
fi
install -d -o postgres -g postgres -m 0700 "$1"
if [ -e /dev/watchdog ]; then
  udevadm trigger --subsystem-match=misc --action=change || chown postgres /dev/watchdog
fi
