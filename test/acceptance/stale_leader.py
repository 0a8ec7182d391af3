"""Run inside a PostgreSQL node's namespace as postgres (the node's Patroni configuration and etcd
credentials): Debian's Patroni 3.0.2 leader-key renewal against the services tier's etcd, as shipped
and as pgha's launcher guards it. Each case uses a scratch scope of its own, so the running cluster's
keys are never touched. Prints one JSON report.

argv: the node's Patroni config path, the launcher's path.
"""
import base64
import importlib.machinery
import importlib.util
import json
import sys

import yaml
from patroni.dcs import get_dcs
from patroni.dcs import etcd3

config_path, launcher_path = sys.argv[1:3]
with open(config_path) as f:
    base = yaml.safe_load(f)


def dcs(scope, name):
    config = {"etcd3": dict(base["etcd3"]), "scope": scope, "namespace": base.get("namespace", "/service/"),
              "name": name, "ttl": 15, "loop_wait": 3, "retry_timeout": 6}
    return get_dcs(config)


def leader_name(member):
    """Who holds the leader key, read from etcd itself: linearizable (Patroni's own reads are
    serializable and may come from its watch cache, which can lag the write just made)."""
    reply = member._client.call_rpc("/kv/range", etcd3.build_range_request(member.leader_path))
    kvs = reply.get("kvs") or []
    return base64.b64decode(kvs[0]["value"]).decode() if kvs else None


def case(scope, renew):
    """`other` holds the leader key (a newer leader); `stale`, with a lease of its own and no
    fresh view, renews its leadership. Returns (what the renewal returned, the key's holder)."""
    other, stale = dcs(scope, "other"), dcs(scope, "stale")
    try:
        assert other.attempt_to_acquire_leader(), "the newer leader could not take the key"
        stale._do_refresh_lease(True)
        returned = renew(stale)
        return returned, leader_name(other)
    finally:
        other.delete_cluster()


def own_key_after_lease_loss(scope, renew):
    """`stale` holds the key, then gets a new lease (its old one lost): the renewal must move the
    key onto the new lease. Returns (returned, holder)."""
    member = dcs(scope, "stale")
    try:
        assert member.attempt_to_acquire_leader()
        member._lease = None
        member._do_refresh_lease(True)
        return renew(member), leader_name(member)
    finally:
        member.delete_cluster()


shipped = etcd3.Etcd3._update_leader
report = {"shipped": case("pgha-test-stale-shipped", shipped)}
loader = importlib.machinery.SourceFileLoader("pgha_patroni", launcher_path)
spec = importlib.util.spec_from_loader("pgha_patroni", loader)
launcher = importlib.util.module_from_spec(spec)
loader.exec_module(launcher)
report["guard_installed"] = launcher.guard_leader_renewal()
guarded = etcd3.Etcd3._update_leader
report["guarded"] = case("pgha-test-stale-guarded", guarded)
report["guarded_own_key"] = own_key_after_lease_loss("pgha-test-stale-own", guarded)
print(json.dumps(report))
