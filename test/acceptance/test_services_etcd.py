"""Tier A, first part: the etcd members pgha renders run as real etcd 3.4 in network namespaces.

The three members start from their rendered /etc/etcd (configuration, certificates) exactly as
written; the bootstrap script pgha renders turns authentication on after creating Patroni's user.
Then: the cluster is healthy over TLS, authentication is on, and Patroni's credentials (a client
certificate without a CN, as CLUSTER-FACTS.md requires) can write under its prefix through the v3
JSON gateway, and nowhere else.
"""
import base64
import json
import subprocess

import pytest

from conftest import CLIENTS
from netns import Cluster, wait_for

PASSWORD = "etcd-pw-'x\""
ETCD_MOUNTS = ["/etc/etcd", "/var/lib/etcd", "/usr/local/sbin"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, cli_config):
    from conftest import Workspace
    ws = Workspace(tmp_path_factory.mktemp("services"), CLIENTS[0][1], cli_config)
    ws.copy_example("services")
    ws.run("init", "-input=false")
    ws.run("apply", "-auto-approve", "-input=false", "-var", f"password={PASSWORD}")
    return {"nodes": ws.output("nodes"), "ca": ws.output("ca_cert_pem"), "client": ws.output("patroni_etcd_client")}


@pytest.fixture
def etcd_cluster(rendered, tmp_path):
    cluster = Cluster(tmp_path)
    try:
        members = {n: v for n, v in rendered["nodes"].items() if v["role"] == "etcd"}
        for name, node in members.items():
            cluster.add(name, node["ip"], node["user_data"])
        for node in cluster.nodes.values():
            subprocess.run(["chown", "-R", "etcd:etcd", str(node.root / "var/lib/etcd")], check=False)
            (node.root / "var/lib/etcd").mkdir(parents=True, exist_ok=True)
            subprocess.run(["chown", "etcd:etcd", str(node.root / "var/lib/etcd")], check=True)
            # What etcd.service runs, with the drop-in pgha renders (ETCD_CONFIG_FILE).
            dropin = (node.root / "etc/systemd/system/etcd.service.d/pgha.conf").read_text()
            assert "ETCD_CONFIG_FILE=/etc/etcd/pgha.yml" in dropin
            node.start(["env", "ETCD_CONFIG_FILE=/etc/etcd/pgha.yml", "etcd"], ETCD_MOUNTS, user="etcd")
        yield cluster
    finally:
        cluster.close()


def etcdctl(node, *args):
    return node.run(["env", "ETCDCTL_API=3", "etcdctl", "--endpoints=https://127.0.0.1:2379",
                     "--cacert=/etc/etcd/tls/ca.crt", "--cert=/etc/etcd/tls/server.crt",
                     "--key=/etc/etcd/tls/server.key", *args], ETCD_MOUNTS)


def test_etcd_members_form_a_cluster_and_patroni_can_use_it(etcd_cluster, rendered, tmp_path):
    first = etcd_cluster.nodes["etcd-1"]
    wait_for(lambda: all(etcdctl(n, "endpoint", "health").returncode == 0 for n in etcd_cluster.nodes.values()),
             90, "etcd health on every member")
    members = etcdctl(first, "member", "list", "-w", "json")
    assert len(json.loads(members.stdout)["members"]) == 3

    # The bootstrap script pgha renders, run as cloud-init would.
    out = first.run(["/usr/local/sbin/pgha-etcd-bootstrap-auth"], ETCD_MOUNTS, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert not (first.root / "etc/etcd/pgha-auth").exists()  # the secrets are gone afterwards

    ca = tmp_path / "ca.pem"
    ca.write_text(rendered["ca"])
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    cert.write_text(rendered["client"]["cert"])
    key.write_text(rendered["client"]["key"])

    def gateway(ip, path, body, token=None):
        headers = ["-H", f"Authorization: {token}"] if token else []
        proc = subprocess.run(["curl", "-sS", "--cacert", str(ca), "--cert", str(cert), "--key", str(key),
                               *headers, "-X", "POST", f"https://{ip}:2379{path}", "-d", json.dumps(body)],
                              capture_output=True, text=True, timeout=30)
        return json.loads(proc.stdout or "{}")

    b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    ip = etcd_cluster.nodes["etcd-2"].ip
    # Without a token the gateway refuses writes: authentication is on.
    assert "error" in gateway(ip, "/v3/kv/put", {"key": b64("/service/pgha/x"), "value": b64("1")})
    token = gateway(ip, "/v3/auth/authenticate", {"name": "patroni", "password": PASSWORD})["token"]
    ok = gateway(ip, "/v3/kv/put", {"key": b64("/service/pgha/x"), "value": b64("1")}, token)
    assert "header" in ok and "error" not in ok, ok
    denied = gateway(ip, "/v3/kv/put", {"key": b64("/elsewhere"), "value": b64("1")}, token)
    assert "permission denied" in json.dumps(denied), denied
