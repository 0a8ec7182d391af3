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


SECOND_DIR = Path("/var/lib/pgha/second-hypervisor")
SECOND_ON = [f"{PREFIX}etcd-2", f"{PREFIX}postgres-2"]


@pytest.fixture(scope="module")
def second_hypervisor(libvirt_env):
    """A second libvirtd on this machine (scripts/libvirtd-second), with the same pool and network
    names as the first: its network is a bridge-mode network over the first one's bridge, so guests
    of both share one segment, as two hypervisors on one LAN would."""
    script = str(ROOT / "scripts" / "libvirtd-second")
    uri = subprocess.run([script, "start", str(SECOND_DIR)], check=True, capture_output=True, text=True).stdout.strip()

    def on_second(*args, check=True):
        return subprocess.run(["virsh", "-c", uri, *args], capture_output=True, text=True, check=check)

    if on_second("pool-info", POOL, check=False).returncode != 0:
        (SECOND_DIR / "pool").mkdir(parents=True, exist_ok=True)
        on_second("pool-define-as", POOL, "dir", "--target", str(SECOND_DIR / "pool"))
    if "running" not in on_second("pool-info", POOL).stdout:
        on_second("pool-start", POOL)
    if on_second("net-info", NETWORK, check=False).returncode != 0:
        xml = SECOND_DIR / "network.xml"
        xml.write_text(f"<network><name>{NETWORK}</name><forward mode='bridge'/><bridge name='pghaacc0'/></network>")
        on_second("net-define", str(xml))
    if "Active:         yes" not in on_second("net-info", NETWORK).stdout:
        on_second("net-start", NETWORK)
    volumes = {}
    for name in SECOND_ON:
        volume = f"{name}-os.qcow2"
        if on_second("vol-info", "--pool", POOL, volume, check=False).returncode != 0:
            on_second("vol-create-as", POOL, volume, "16M", "--format", "qcow2")
        volumes[name] = on_second("vol-key", "--pool", POOL, volume).stdout.strip()
    yield uri, on_second, volumes
    for name in on_second("list", "--all", "--name").stdout.split():
        on_second("destroy", name, check=False)
        on_second("undefine", name, check=False)
    subprocess.run([script, "stop", str(SECOND_DIR)], check=True)


def test_cluster_spread_over_two_hypervisors(workspace, os_volumes, second_hypervisor, client):
    """Per-resource `uri` with two real libvirt daemons: a wrong URI is a diagnostic naming the
    resource and the URI; one apply spreads the members over both; drift, import and destroy work
    on the second as on the first."""
    if client != CLIENTS[0][1]:
        pytest.skip("the two-hypervisor variant runs with the first client only, to keep the suite short")
    uri2, on_second, second_volumes = second_hypervisor
    ws = workspace
    ws.copy_example("cluster")
    volumes = {**os_volumes, **second_volumes}
    wrong = "qemu+unix:///system?socket=/nonexistent/libvirt-sock"
    variables(ws, volumes, member_uris={SECOND_ON[0]: wrong, SECOND_ON[1]: uri2})
    ws.run("init", "-input=false")
    out = ws.run("apply", "-auto-approve", "-input=false", expect=1)
    text = " ".join((out.stdout + out.stderr).split())
    assert f'pgha_etcd_member.etcd["{SECOND_ON[0]}"]' in text and wrong in text, text[-4000:]
    assert on_second("domstate", SECOND_ON[0], check=False).returncode != 0
    assert domain_state(SECOND_ON[0]) is None

    variables(ws, volumes, member_uris={name: uri2 for name in SECOND_ON})
    ws.run("apply", "-auto-approve", "-input=false")
    for name in NAMES:
        if name in SECOND_ON:
            assert on_second("domstate", name).stdout.strip() == "running", name
            assert domain_state(name) is None, name
        else:
            assert domain_state(name) == "running", name
            assert on_second("domstate", name, check=False).returncode != 0, name
    ws.run("plan", "-detailed-exitcode", "-input=false", expect=0)

    # Drift on the second hypervisor: the VM deleted out of band is planned and made again there.
    on_second("destroy", SECOND_ON[0])
    on_second("undefine", SECOND_ON[0])
    plan = ws.run("plan", "-input=false").stdout
    assert f'pgha_etcd_member.etcd["{SECOND_ON[0]}"] will be created' in plan, plan[-3000:]
    ws.run("apply", "-auto-approve", "-input=false")
    assert on_second("domstate", SECOND_ON[0]).stdout.strip() == "running"

    # Import from the second hypervisor by URI#NAME.
    address = f'pgha_postgres_node.postgres["{SECOND_ON[1]}"]'
    ws.run("state", "rm", address)
    ws.run("import", "-input=false", address, f"{uri2}#{SECOND_ON[1]}")
    node = next(r for r in ws.state()["resources"] if r["type"] == "pgha_postgres_node")
    imported = next(i for i in node["instances"] if i["index_key"] == SECOND_ON[1])
    assert imported["attributes"]["uri"] == uri2
    assert imported["attributes"]["id"] == on_second("domuuid", SECOND_ON[1]).stdout.strip()
    ws.run("apply", "-auto-approve", "-input=false")
    ws.run("plan", "-detailed-exitcode", "-input=false", expect=0)

    ws.run("destroy", "-auto-approve", "-input=false")
    for name in NAMES:
        assert domain_state(name) is None
        assert on_second("domstate", name, check=False).returncode != 0, name
    for name in SECOND_ON:  # the user's OS volumes stay
        assert on_second("vol-info", "--pool", POOL, f"{name}-os.qcow2", check=False).returncode == 0
