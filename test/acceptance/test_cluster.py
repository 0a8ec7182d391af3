"""The example cluster (3 etcd members, 3 PostgreSQL nodes, 1 load balancer) through real clients.

Applied on the machine's libvirtd under emulation, on an isolated libvirt network and, as a variant,
on macvtap interfaces over a veth pair the test creates (its peer leads nowhere). The OS disks are
empty here, so the guests never boot an OS: this tier checks what pgha creates and renders; the
services themselves run in the next tier.
"""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CLIENTS
from test_etcd_member import NETWORK, POOL, URI, domain_state, libvirt_env, remove_leftovers, seed_volumes, virsh  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
CHECK = ["/usr/bin/python3", str(ROOT / "test" / "tools" / "cloudinit_check.py")]
PREFIX = "pgha-acc-"
NAMES = [f"{PREFIX}{n}" for n in ("etcd-1", "etcd-2", "etcd-3", "postgres-1", "postgres-2", "postgres-3", "lb-1")]
MACVTAP_LOWER = "pghamv0"


@pytest.fixture(autouse=True)
def clean():
    remove_leftovers((PREFIX,))
    yield
    remove_leftovers((PREFIX,))


@pytest.fixture(scope="module")
def os_volumes(libvirt_env):
    ids = {}
    for name in NAMES:
        volume = f"{name}-os.qcow2"
        if virsh("vol-info", "--pool", POOL, volume, check=False).returncode != 0:
            virsh("vol-create-as", POOL, volume, "16M", "--format", "qcow2")
        ids[name] = virsh("vol-key", "--pool", POOL, volume).stdout.strip()
    return ids


def variables(ws, os_volumes, **extra):
    values = {
        "name_prefix": PREFIX, "subnet_prefix": "10.213.0", "pool": POOL, "network": NETWORK,
        "domain_type": "qemu", "vcpus": 1, "memory": 128, "shutdown_timeout": 1,
        "os_volume_ids": os_volumes, "wait_for_healthy": False,  # empty disks: nothing boots
        "etcd_patroni_password": "etcd-pw", "etcd_root_password": "etcd-root-pw", "postgres_superuser_password": "su-pw",
        "postgres_replicator_password": "repl-pw", "postgres_rewind_password": "rewind-pw",
    }
    values.update(extra)
    ws.write("test.auto.tfvars.json", json.dumps(values))


def check_cluster(ws, tmp_path, interface_type):
    for name in NAMES:
        assert domain_state(name) == "running", name
        xml = virsh("dumpxml", name).stdout
        assert f"<interface type='{interface_type}'>" in xml
        assert ("<watchdog model='i6300esb'" in xml) == ("postgres" in name)
    user_data = ws.output("user_data")
    assert sorted(user_data) == sorted(NAMES)
    for name, text in user_data.items():
        path = tmp_path / name
        path.write_text(text)
        doc = json.loads(subprocess.run([*CHECK, "user-data", str(path)], capture_output=True, text=True,
                                        check=True).stdout)
        assert doc["valid"], f"{name}: {doc['errors']}"
        files = doc["files"]
        if "postgres" in name:
            conf = files["/etc/patroni/config.yml"]
            for ip in ("10.213.0.11:2379", "10.213.0.12:2379", "10.213.0.13:2379"):
                assert ip in conf
        if "lb" in name:
            cfg = files["/etc/haproxy/haproxy.cfg"]
            for i, ip in ((1, "10.213.0.21"), (2, "10.213.0.22"), (3, "10.213.0.23")):
                assert f"server {PREFIX}postgres-{i} {ip}:5432 check port 8008 verifyhost {PREFIX}postgres-{i}" in cfg
        if name.endswith("etcd-1"):
            assert "/etc/etcd/pgha-auth/user-0.env" in files  # the bootstrapper creates Patroni's user
        elif "etcd" in name:
            assert not [p for p in files if "pgha-auth" in p]


def check_destroyed(ws):
    ws.run("destroy", "-auto-approve", "-input=false")
    for name in NAMES:
        assert domain_state(name) is None
    assert not [v for v in seed_volumes() if v.startswith(PREFIX)]
    for name in NAMES:  # the user's OS volumes stay
        assert virsh("vol-info", "--pool", POOL, f"{name}-os.qcow2", check=False).returncode == 0


@pytest.mark.smoke
def test_cluster_on_a_libvirt_network(workspace, os_volumes, tmp_path):
    ws = workspace
    ws.copy_example("cluster")
    variables(ws, os_volumes)
    ws.run("init", "-input=false")
    ws.run("apply", "-auto-approve", "-input=false")
    check_cluster(ws, tmp_path, "network")
    ws.run("plan", "-detailed-exitcode", "-input=false", expect=0)
    check_destroyed(ws)


@pytest.fixture
def macvtap_lower():
    # A veth pair: the macvtap devices sit on one end, the other end leads nowhere.
    if subprocess.run(["ip", "link", "show", MACVTAP_LOWER], capture_output=True).returncode != 0:
        subprocess.run(["ip", "link", "add", MACVTAP_LOWER, "type", "veth", "peer", "name", "pghamv1"], check=True)
    for dev in (MACVTAP_LOWER, "pghamv1"):
        subprocess.run(["ip", "link", "set", dev, "up"], check=True)
    yield MACVTAP_LOWER
    subprocess.run(["ip", "link", "del", MACVTAP_LOWER], capture_output=True)


def test_cluster_on_macvtap(workspace, os_volumes, macvtap_lower, tmp_path, client):
    if client != CLIENTS[0][1]:
        pytest.skip("the macvtap variant runs with the first client only, to keep the suite short")
    ws = workspace
    ws.copy_example("cluster")
    variables(ws, os_volumes, macvtap_interface=macvtap_lower)
    ws.run("init", "-input=false")
    ws.run("apply", "-auto-approve", "-input=false")
    check_cluster(ws, tmp_path, "direct")
    ws.run("plan", "-detailed-exitcode", "-input=false", expect=0)
    check_destroyed(ws)


LP_PREFIX = "pgha-lp-"
LP_NAMES = [f"{LP_PREFIX}{n}" for n in ("etcd-1", "etcd-2", "etcd-3", "postgres-1", "postgres-2", "postgres-3", "lb-1")]


@pytest.mark.smoke
def test_cluster_composed_with_the_libvirt_provider(tmp_path, client, cli_config, libvirt_env):
    """examples/libvirt-provider: the dmacvicar/libvirt provider makes the network and the OS disks
    (overlays of an uploaded base image), pgha the VMs on them. Applied, re-planned clean, and
    destroyed in dependency order: nothing of either provider is left."""
    from conftest import Workspace
    remove_leftovers((LP_PREFIX,))
    for example in ("libvirt-provider", "cluster"):  # the example uses ../cluster as a module
        shutil.copytree(ROOT / "examples" / example, tmp_path / example,
                        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    ws = Workspace(tmp_path / "libvirt-provider", client, cli_config)
    base = tmp_path / "base.qcow2"  # empty: nothing boots in this tier
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(base), "16M"], check=True)
    ws.write("test.auto.tfvars.json", json.dumps({
        "libvirt_uri": URI, "name_prefix": LP_PREFIX, "subnet_prefix": "10.218.0", "bridge": "pghalp0",
        "pool": POOL, "base_image": str(base), "domain_type": "qemu", "vcpus": 1, "memory": 128,
        "shutdown_timeout": 1, "wait_for_healthy": False,
        "etcd_root_password": "etcd-root-pw", "etcd_patroni_password": "etcd-pw",
        "postgres_superuser_password": "su-pw", "postgres_replicator_password": "repl-pw",
        "postgres_rewind_password": "rewind-pw"}))
    try:
        ws.run("init", "-input=false")
        ws.run("apply", "-auto-approve", "-input=false")
        network_id = ws.output("network_id")
        assert virsh("net-name", network_id).stdout.strip() == f"{LP_PREFIX}net"
        for name in LP_NAMES:
            assert domain_state(name) == "running", name
            xml = virsh("dumpxml", name).stdout
            assert f"<source network='{LP_PREFIX}net'" in xml, name
            # pgha's disk is the libvirt provider's overlay, backed by the uploaded base image.
            volume = virsh("vol-path", "--pool", POOL, f"{name}-os.qcow2").stdout.strip()
            assert f"<source file='{volume}'" in xml, name
            info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", volume],
                                             capture_output=True, text=True, check=True).stdout)
            assert info["backing-filename"].endswith(f"{LP_PREFIX}base.qcow2"), info
        ws.run("plan", "-detailed-exitcode", "-input=false", expect=0)
        ws.run("destroy", "-auto-approve", "-input=false")
        for name in LP_NAMES:
            assert domain_state(name) is None
        left = [line.split()[0] for line in virsh("vol-list", POOL).stdout.splitlines()[2:]
                if line.split() and line.split()[0].startswith(LP_PREFIX)]
        assert not left, left
        assert virsh("net-info", f"{LP_PREFIX}net", check=False).returncode != 0
    finally:
        remove_leftovers((LP_PREFIX,))
        for volume in virsh("vol-list", POOL).stdout.splitlines()[2:]:
            if volume.split() and volume.split()[0].startswith(LP_PREFIX):
                virsh("vol-delete", "--pool", POOL, volume.split()[0], check=False)
        virsh("net-destroy", f"{LP_PREFIX}net", check=False)
        virsh("net-undefine", f"{LP_PREFIX}net", check=False)
