#!/bin/sh
# Run once by cloud-init on the member that bootstraps authentication: waits
# for the cluster, creates root (and its role) and the users pgha was given
# (each with readwrite on its key prefix), then enables auth. Values come
# from /etc/etcd/pgha-auth/*.env (mode 0600), never from this script's text,
# and the directory is removed when the script ends, whether it succeeded or
# failed half-way: the secrets never outlive their one use. (The two
# variables below exist for the tests; cloud-init never sets them.)
set -eu
dir=${PGHA_AUTH_DIR:-/etc/etcd/pgha-auth}
trap 'rm -rf "$dir"' EXIT
wait_seconds=${PGHA_AUTH_WAIT_SECONDS:-600}
ctl() {
  ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 \
    --cacert=/etc/etcd/tls/ca.crt --cert=/etc/etcd/tls/server.crt --key=/etc/etcd/tls/server.key "$@"
}
i=0
until ctl endpoint health >/dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -lt "$wait_seconds" ] || { echo "etcd never became healthy" >&2; exit 1; }
  sleep 1
done
marker=/var/lib/etcd/pgha-auth-bootstrapped
if [ -e "$marker" ]; then
  # A later cloud-init instance (new documents): authentication is already on.
  exit 0
fi
. "$dir/root.env"
if ! ctl user get root >/dev/null 2>&1; then
  if [ -n "${ROOT_PASSWORD:-}" ]; then
    printf '%s\n' "$ROOT_PASSWORD" | ctl user add root --interactive=false
  else
    ctl user add root --no-password
  fi
  ctl role add root >/dev/null 2>&1 || true
  ctl user grant-role root root
fi
for f in "$dir"/user-*.env; do
  [ -e "$f" ] || continue
  NAME='' PASSWORD='' PREFIX=''
  . "$f"
  if ! ctl user get "$NAME" >/dev/null 2>&1; then
    printf '%s\n' "$PASSWORD" | ctl user add "$NAME" --interactive=false
  fi
  ctl role add "$NAME-rw" >/dev/null 2>&1 || true
  ctl role grant-permission "$NAME-rw" --prefix=true readwrite "$PREFIX"
  ctl user grant-role "$NAME" "$NAME-rw"
done
ctl auth enable
touch "$marker"
