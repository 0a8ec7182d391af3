#!/bin/sh
# Run once by cloud-init on the member that bootstraps authentication: waits
# for the cluster, creates root (and its role), then enables auth. Values
# come from /etc/etcd/pgha-auth.env (mode 0600), never from this script's text.
set -eu
. /etc/etcd/pgha-auth.env
ctl() {
  ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 \
    --cacert=/etc/etcd/tls/ca.crt --cert=/etc/etcd/tls/server.crt --key=/etc/etcd/tls/server.key "$@"
}
i=0
until ctl endpoint health >/dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -lt 600 ] || { echo "etcd never became healthy" >&2; exit 1; }
  sleep 1
done
if ! ctl user get root >/dev/null 2>&1; then
  if [ -n "${ROOT_PASSWORD:-}" ]; then
    printf '%s\n' "$ROOT_PASSWORD" | ctl user add root --interactive=false
  else
    ctl user add root --no-password
  fi
  ctl role add root >/dev/null 2>&1 || true
  ctl user grant-role root root
fi
ctl auth enable
rm -f /etc/etcd/pgha-auth.env
