"""Tier B: examples/cluster boots as real VMs through real Terraform, and day-2 changes keep every write.

The guest image comes from scripts/guest-image (Debian 12 from Debian's packages, services
preinstalled, so install_dependencies = false). Each VM boots an overlay of it with direct kernel
boot under qemu's emulation (TCG) on an isolated libvirt network; cloud-init reads pgha's seed and
configures etcd, Patroni/PostgreSQL or HAProxy. The test then talks to the cluster the way a client
would, through the load balancer VM with sslmode=verify-full:
  - `terraform apply` returns only once every member is healthy (read through each VM's QEMU guest
    agent): the first write through the load balancer works right away, and the state holds each
    member's role;
  - a live certificate rotation (new certificates for every PostgreSQL node) reaches PostgreSQL and
    the REST API without a reboot, a restart or a failover, while a writer sees no error;
  - a block taken away from running VMs (node_exporter disabled) stops and disables the unit pgha made
    and deletes its files, live;
  - replacing the leader's VM switches over to the synchronous standby first; no acknowledged row is lost;
  - (full size, or PGHA_VM_POWER_OFF=1) the leader's VM powered off mid-stream loses no acknowledged row;
  - (etcd or full size) replacing the etcd leader's VM (pgha_etcd_member) while the writer runs: the
    member leaves the cluster (leadership moved first) before its VM goes, the new one joins as a
    learner and is promoted; etcd keeps its quorum throughout, Patroni keeps its leader, no row lost;
  - (three or full size, or PGHA_VM_DAY2=1) one apply rolls a restart-requiring parameter, another a new memory size,
    through every PostgreSQL node: at most one node down at any sample, the leader last after a
    switchover, no acknowledged row lost; `running = false` on the leader hands over first;
  - (PGHA_VM_BACKUP=1) with the example's pgBackRest repository VM: the apply waits for pgBackRest's
    check on every node, a full backup runs through the repository's unit, and pgha_backup_info
    (read through the repository VM's guest agent) lists it; the etcd member's snapshot unit stores
    a snapshot on the repository.
`terraform destroy` must leave no domain and no seed behind.

Size: PGHA_VM_CLUSTER=small (default, in CI: 1 etcd member, 2 PostgreSQL nodes, 1 load balancer),
three (1 + 3 + 1, the day-2 issue's), etcd (3 + 2 + 1, etcd membership) or full (the 3 + 3 + 1 example).
"""
import base64
import json
import os
import socket
import ssl
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import CLIENTS, ROOT, Workspace
from durability import Writer, create_table, ensure_login, present_ids, query_one
from netns import wait_for
from test_etcd_member import (POOL, URI, domain_state, ensure_isolated_network, libvirt_env,  # noqa: F401
                              remove_leftovers, seed_volumes, virsh)

# small: CI's; three: the day-2 issue's 1 etcd + 3 PostgreSQL + 1 load balancer; full: the example.
SIZES = {"small": (1, 2), "three": (1, 3), "etcd": (3, 2), "full": (3, 3)}
SIZE = os.environ.get("PGHA_VM_CLUSTER", "small")
ETCD_COUNT, POSTGRES_COUNT = SIZES[SIZE]
DAY2 = SIZE in ("three", "full") or os.environ.get("PGHA_VM_DAY2") == "1"
# (on command) the example's pgBackRest repository VM: a full backup, and pgha_backup_info lists it.
BACKUP = os.environ.get("PGHA_VM_BACKUP") == "1"
PREFIX = "pgha-vm-"
NETWORK = "pgha-vm-net"
SUBNET = "10.217.0"
LB = f"{SUBNET}.30"
PASSWORD = "vm-su-pw-'x\"$1"
# The superuser logs in from the nodes and this host only (postgres.member_addresses); the writer
# comes through the load balancer as an application user this host creates.
APP_USER = "app"
APP_PASSWORD = "vm-app-pw-'x\"$1"
# Clock robustness: the image's kernel command line keeps time on the HPET (scripts/guest-image says
# why), and chrony (rendered by pgha) steps a wrong boot-time clock to the host's.
# The etcd size boots six guests, three of them etcd members that must find each other before any
# PostgreSQL node starts: run 9's bring-up took 1733 s on two cores.
BOOT_TIMEOUT = {"small": 900, "etcd": 2400}.get(SIZE, 1500)

# (on command) PGHA_VM_ONLY=step,...: bring-up, then only the steps named (of STEPS), whatever the
# size says.
STEPS = {"rotation", "retirement", "leader_replacement", "etcd_replacement", "power_off", "rolling", "never_healthy"}
ONLY = {step for step in os.environ.get("PGHA_VM_ONLY", "").split(",") if step}
# A misspelt step would otherwise run nothing after the bring-up, and pass.
assert ONLY <= STEPS, f"PGHA_VM_ONLY names no such step: {sorted(ONLY - STEPS)} (steps: {sorted(STEPS)})"


def wanted(step, by_size):
    assert step in STEPS, step
    return step in ONLY if ONLY else by_size


BROKEN = f"{PREFIX}postgres-broken"  # the day-2 scenario's node that can never become healthy
NAMES = ([f"{PREFIX}etcd-{i}" for i in range(1, ETCD_COUNT + 1)]
         + [f"{PREFIX}postgres-{i}" for i in range(1, POSTGRES_COUNT + 1)] + [f"{PREFIX}lb-1"]
         + ([BROKEN] if wanted("never_healthy", DAY2) else []) + ([f"{PREFIX}backup-1"] if BACKUP else []))
POSTGRES = {f"{PREFIX}postgres-{i}": f"{SUBNET}.{20 + i}" for i in range(1, POSTGRES_COUNT + 1)}
ETCD = {f"{PREFIX}etcd-{i}": f"{SUBNET}.{10 + i}" for i in range(1, ETCD_COUNT + 1)}


@pytest.fixture(scope="module")
def guest_image(report):
    started = time.monotonic()
    out = subprocess.run([str(ROOT / "scripts" / "guest-image")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-4000:]
    if "guest image ready" in out.stderr:
        report("tier B guest image build (debootstrap + services + disk)", f"{time.monotonic() - started:.0f} s")
    return Path(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def vm_network(libvirt_env):
    ensure_isolated_network(NETWORK, "pghavm0", f"{SUBNET}.1")
    yield NETWORK
    virsh("net-destroy", NETWORK, check=False)
    virsh("net-undefine", NETWORK, check=False)


@pytest.fixture(scope="module")
def ntp_server(vm_network, tmp_path_factory):
    """chronyd on the network's host address, serving the host's clock to the guests (chrony -x: it
    never adjusts the host's own clock). The VMs' chrony steps a wrong boot-time clock to it."""
    d = tmp_path_factory.mktemp("chrony")
    conf = d / "chrony.conf"
    conf.write_text(f"bindaddress {SUBNET}.1\nallow {SUBNET}.0/24\nlocal stratum 8\ncmdport 0\n"
                    f"pidfile {d}/chronyd.pid\ndriftfile {d}/drift\n")
    proc = subprocess.Popen(["chronyd", "-x", "-d", "-f", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=open(d / "chronyd.log", "w"))
    yield f"{SUBNET}.1"
    proc.terminate()
    proc.wait(timeout=10)


def pool_dir():
    xml = virsh("pool-dumpxml", POOL).stdout
    return Path(xml.split("<path>")[1].split("</path>")[0])


@pytest.fixture(scope="module")
def os_volumes(libvirt_env, guest_image):
    """One qcow2 overlay of the guest image per VM, as a user's libvirt_volume with base_volume_id would be."""
    remove_leftovers((PREFIX,))
    ids = {}
    for name in NAMES:
        volume = f"{name}-os.qcow2"
        virsh("vol-delete", "--pool", POOL, volume, check=False)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                        str(guest_image / "base.qcow2"), str(pool_dir() / volume), "8G"], check=True)
    virsh("pool-refresh", POOL)
    for name in NAMES:
        ids[name] = virsh("vol-key", "--pool", POOL, f"{name}-os.qcow2").stdout.strip()
    yield ids
    remove_leftovers((PREFIX,))
    for name in NAMES:
        virsh("vol-delete", "--pool", POOL, f"{name}-os.qcow2", check=False)


class QemuMemory:
    """Peak of the summed RSS of the VMs' qemu processes, sampled every 2 s."""

    def __init__(self):
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(2.0):
            out = subprocess.run(["ps", "-C", "qemu-system-x86_64", "-o", "rss=,args="], capture_output=True,
                                 text=True).stdout
            total = sum(int(line.split()[0]) for line in out.splitlines() if f"guest={PREFIX}" in line)
            self.peak_kib = max(self.peak_kib, total)

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)


def console_tails(console_dir, lines=25):
    parts = []
    for path in sorted(Path(console_dir).glob("*.log")):
        text = path.read_text(errors="replace").splitlines()
        parts.append(f"--- {path.name}\n" + "\n".join(text[-lines:]))
    return "\n".join(parts)


def guest_journal(name, lines=1500):
    """The last lines of the guest's journal for pgha's services this boot, read through its QEMU agent
    as pgha reads it: what a failed run leaves to diagnose, since destroy takes the disks."""
    try:
        _, said = guest_run(name, ["/bin/journalctl", "--no-pager", "-o", "short-precise", "-b", "-n", str(lines),
                                   "-u", "etcd", "-u", "patroni", "-u", "haproxy", "-u", "pgha-*"], timeout=30)
        return said
    except (subprocess.CalledProcessError, AssertionError, ValueError, KeyError) as error:
        return f"(no journal: {getattr(error, 'stderr', None) or error})"


def save_journals(directory):
    """Each running VM's journal into `directory`, for a run that failed."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        if domain_state(name) == "running":
            (directory / f"{name}.journal").write_text(guest_journal(name))
    return directory


def primary_ip(ca):
    """The address of the node the load balancer sends writes to, or None."""
    row = query_one(LB, APP_PASSWORD, ca, "SELECT host(inet_server_addr()), pg_is_in_recovery()", user=APP_USER)
    return row[0] if row and row[1] is False else None


def replication(ip, ca):
    """(streaming replicas, synchronous ones) as the node at `ip` sees them, or None."""
    row = query_one(ip, PASSWORD, ca, "SELECT count(*) FILTER (WHERE state = 'streaming'), "
                    "count(*) FILTER (WHERE sync_state = 'sync') FROM pg_stat_replication")
    return tuple(row) if row else None


def clock_skew(ip, ca):
    """The node's clock minus the host's, in seconds, or None when it does not answer."""
    row = query_one(ip, PASSWORD, ca, "SELECT extract(epoch FROM clock_timestamp())")
    return float(row[0]) - time.time() if row else None


def served_certificate(ip, port, ca, client=None):
    """The DER certificate a node serves: PostgreSQL after its SSLRequest, or a TLS port (client cert optional)."""
    context = ssl.create_default_context(cafile=str(ca))
    context.check_hostname = False  # the address is checked by the clients themselves; here: which certificate
    if client:
        context.load_cert_chain(*client)
    with socket.create_connection((ip, port), timeout=10) as raw:
        if port == 5432:
            raw.sendall(struct.pack("!II", 8, 80877103))
            assert raw.recv(1) == b"S", f"{ip} refused TLS"
        with context.wrap_socket(raw) as tls:
            return tls.getpeercert(binary_form=True)


def der(pem):
    return ssl.PEM_cert_to_DER_cert(pem.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n")


def postmaster_start(ip, ca):
    row = query_one(ip, PASSWORD, ca, "SELECT pg_postmaster_start_time()::text")
    return row[0] if row else None


def qemu_pids():
    out = subprocess.run(["ps", "-C", "qemu-system-x86_64", "-o", "pid=,args="], capture_output=True, text=True).stdout
    return {name: line.split()[0] for line in out.splitlines() for name in NAMES if f"guest={name}," in line}


def certificates(ws, kind):
    return {i.get("index_key"): i["attributes"] for r in ws.state()["resources"]
            if r["type"] == "pgha_certificate" and r["name"] == kind for i in r["instances"]}


def largest_gap(writer, since):
    times = sorted(t for t, _ in writer.acked.values() if t >= since - 5)
    return max((b - a for a, b in zip(times, times[1:])), default=0.0)


def guest_run(name, argv, timeout=600):
    """argv in the guest through its QEMU agent, as pgha runs commands there: (exit code, output)."""
    command = {"execute": "guest-exec", "arguments": {"path": argv[0], "arg": argv[1:], "capture-output": True}}
    pid = json.loads(virsh("qemu-agent-command", name, json.dumps(command)).stdout)["return"]["pid"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = virsh("qemu-agent-command", name, json.dumps({"execute": "guest-exec-status", "arguments": {"pid": pid}}),
                       check=False)
        reply = json.loads(status.stdout or "{}").get("return", {})
        if reply.get("exited"):
            said = b"".join(base64.b64decode(reply.get(k, "")) for k in ("out-data", "err-data"))
            return reply.get("exitcode"), said.decode(errors="replace")
        time.sleep(1)
    raise AssertionError(f"{argv} in {name} did not finish within {timeout} s")


def backup_smoke(ws, report):
    """(PGHA_VM_BACKUP=1) The repository VM of the example: the apply returned once every node's
    health wait passed pgBackRest's check (so the stanza exists, with no backup yet, as
    pgha_backup_info read it after the nodes); a full backup through the repository's own unit; the
    next apply reads it back; an etcd member's snapshot unit stores a snapshot on the repository."""
    repository = f"{PREFIX}backup-1"
    before = ws.output("backups")[repository]
    assert before["status"] == "no valid backups" and before["backups"] == [], before
    started = time.monotonic()
    code, said = guest_run(repository, ["/bin/systemctl", "start", "pgha-backup-main-full.service"], timeout=1800)
    assert code == 0, said
    report("tier B full backup (pgBackRest through the repository's unit, TCG)", f"{time.monotonic() - started:.0f} s")
    ws.run("apply", "-auto-approve", "-input=false")
    after = ws.output("backups")[repository]
    report("tier B pgha_backup_info after the backup", json.dumps(after))
    assert after["status"] == "ok" and [b["type"] for b in after["backups"]] == ["full"], after
    assert after["earliest_restorable_time"] == after["backups"][0]["stop_time"], after
    # etcd: the member's snapshot unit (its timer's), then the snapshot on the repository's data disk.
    member = f"{PREFIX}etcd-1"
    started = time.monotonic()
    code, said = guest_run(member, ["/bin/systemctl", "start", "pgha-etcd-snapshot.service"], timeout=600)
    assert code == 0, said + guest_run(member, ["/bin/journalctl", "-u", "pgha-etcd-snapshot", "--no-pager"])[1]
    report("tier B etcd snapshot (leader's unit: save, upload to the repository, TCG)",
           f"{time.monotonic() - started:.0f} s")
    code, listing = guest_run(repository, ["/bin/ls", "-l", "/var/lib/pgbackrest/etcd/etcd"])
    assert code == 0 and ".db" in listing, listing
    report("tier B etcd snapshots on the repository", listing.strip().replace("\n", "; "))


def healthy(ca):
    """The primary's address once it streams to every replica (one synchronous), every node answers and
    the application user reaches it through the load balancer."""
    primaries = [ip for ip in POSTGRES.values() if query_one(ip, PASSWORD, ca, "SELECT pg_is_in_recovery()") == (False,)]
    if len(primaries) != 1 or not ensure_login(primaries[0], PASSWORD, ca, APP_USER, APP_PASSWORD):
        return None
    ip = primary_ip(ca)
    if not ip or replication(ip, ca) != (POSTGRES_COUNT - 1, 1):
        return None
    return ip if all(clock_skew(node, ca) is not None for node in POSTGRES.values()) else None


def test_the_example_cluster_applies_healthy_rotates_certificates_live_and_replaces_its_leader(guest_image, vm_network, os_volumes,
                                                                       ntp_server, cli_config, tmp_path, report):
    console_dir = Path("/var/lib/pgha/consoles") / f"{PREFIX}{os.getpid()}"
    console_dir.mkdir(parents=True, exist_ok=True)
    ws = Workspace(tmp_path, CLIENTS[0][1], cli_config)
    ws.copy_example("cluster")
    ws.write("test.auto.tfvars.json", json.dumps({
        "name_prefix": PREFIX, "subnet_prefix": SUBNET, "pool": POOL, "network": vm_network,
        "etcd_count": ETCD_COUNT, "postgres_count": POSTGRES_COUNT,
        "domain_type": "qemu", "vcpus": 1, "memory": 1024, "install_dependencies": False,
        "kernel": str(guest_image / "vmlinuz"), "initrd": str(guest_image / "initrd.img"), "cmdline": (guest_image / "cmdline").read_text().strip(),
        "console_log_dir": str(console_dir), "os_volume_ids": os_volumes, "ntp_servers": [ntp_server],
        "etcd_patroni_password": "vm-etcd-pw", "etcd_root_password": "vm-etcd-root-pw", "postgres_superuser_password": PASSWORD,
        "postgres_replicator_password": "vm-repl-pw", "postgres_rewind_password": "vm-rewind-pw",
        "backup_repository": BACKUP,
    }))
    memory = QemuMemory()
    applied = False
    try:
        ws.run("init", "-input=false")
        started = time.monotonic()
        # wait_for_healthy (the default): the apply returns once every member is healthy, read
        # through each VM's guest agent; the host never reaches the VMs for that.
        try:
            ws.run("apply", "-auto-approve", "-input=false", timeout=BOOT_TIMEOUT + 300)
        except (AssertionError, subprocess.TimeoutExpired) as error:
            applied = bool(ws.state())
            raise AssertionError(f"{error}\n{console_tails(console_dir)}") from None
        applied = True
        applied_after = time.monotonic() - started
        report(f"tier B ({SIZE}) terraform apply (returns once healthy)", f"{applied_after:.0f} s")
        ca = tmp_path / "ca.pem"
        ca.write_text(ws.output("ca_cert_pem"))
        # Writes work when the apply returns: the first write through the LB is immediate, give or take
        # the application user's creation by this test.
        wait_for(lambda: healthy(ca), 60, "writes through the LB right after the apply returned")
        report(f"tier B ({SIZE}) bring-up: apply to first write through the LB VM",
               f"{time.monotonic() - started:.0f} s for {len(NAMES)} VMs "
               f"({time.monotonic() - started - applied_after:.0f} s after the apply returned)")
        # A refresh reads each member's health again (Read probes through the agent), and the
        # computed facts never make a diff by themselves.
        # Emulated guests sharing two cores can miss one probe's deadline: a few refreshes, each recorded.
        for refresh in range(1, 4):
            refreshed = ws.run("apply", "-refresh-only", "-auto-approve", "-input=false")
            roles = {r["type"]: [i["attributes"] for i in r["instances"]] for r in ws.state()["resources"]
                     if r["mode"] == "managed" and r["type"].startswith("pgha_") and r["type"] != "pgha_certificate"}
            unhealthy = [a["name"] for attrs in roles.values() for a in attrs if not a["healthy"]]
            if not unhealthy:
                break
            said = " ".join((refreshed.stdout + refreshed.stderr).split())  # pgha's warnings say why
            reasons = [part.split(". The state records")[0] for part in said.split("reports: ")[1:]]
            report(f"tier B ({SIZE}) refresh {refresh} saw unhealthy", f"{', '.join(unhealthy)}: {reasons}")
            time.sleep(10)
        ws.run("plan", "-detailed-exitcode", "-input=false", expect=0)
        # What pgha saw is in the state: one leader, one synchronous standby, every member healthy.
        assert not unhealthy, roles
        pg_roles = sorted(a["role"] for a in roles["pgha_postgres_node"])
        report(f"tier B ({SIZE}) roles in the state after a refresh", ", ".join(pg_roles))
        # Patroni's view of the standby (sync_standby or replica) can change from one loop to the next.
        assert pg_roles.count("leader") == 1 and set(pg_roles) <= {"leader", "sync_standby", "replica"}, pg_roles
        assert sum(a["is_leader"] for a in roles["pgha_etcd_member"]) == 1

        # Every guest's clock agrees with the host's: leases depend on it.
        for name, ip in POSTGRES.items():
            skew = clock_skew(ip, ca)
            assert skew is not None, f"{name} stopped answering"
            report(f"tier B ({SIZE}) clock skew of {name}", f"{skew:+.2f} s")
            assert abs(skew) < 5, f"{name}'s clock is {skew:+.1f} s off the host's"

        create_table(LB, APP_PASSWORD, ca, user=APP_USER)
        if BACKUP:
            backup_smoke(ws, report)

        # 1-2. (every size but etcd, whose run is for membership) a live certificate rotation, then
        # the PostgreSQL leader's VM replaced.
        # (The backup smoke stops after its own checks: the small run in CI covers these.)
        by_size = SIZE != "etcd" and not BACKUP
        if wanted("rotation", by_size):
            rotate_certificates_live(ws, ca, tmp_path, report)
        # Its own apply, not the rotation's: the one run of both together (2026-12-04, three
        # size, six guests on two cores) updated every VM at once and HAProxy's checks timed the
        # healthy leader out (4 client errors). Before the replacement: each node's update waits
        # for its health, and a rebuilt standby takes minutes under TCG to catch up.
        if wanted("retirement", by_size):
            retire_node_exporters(ws, ca, report)
        if wanted("leader_replacement", by_size):
            replace_postgres_leader(ws, ca, report)
        # 3. (etcd or full size) etcd membership through terraform apply: the etcd leader's VM replaced.
        if wanted("etcd_replacement", ETCD_COUNT >= 3):
            replace_etcd_leader(ws, ca, tmp_path, report)
        # 3. (full size, or PGHA_VM_POWER_OFF=1) An unplanned loss: the leader's VM powered off.
        if wanted("power_off", SIZE == "full" or os.environ.get("PGHA_VM_POWER_OFF") == "1"):
            power_off_leader(ca, report)
        # 4. (three or full size, or PGHA_VM_DAY2=1) Rolling changes through terraform apply, and a
        # node that can never become healthy.
        if wanted("rolling", DAY2):
            rolling_changes(ws, ca, report)
        if wanted("never_healthy", DAY2):
            never_healthy(ws, report)
    except BaseException:
        try:
            report(f"tier B ({SIZE}) failed: the guests' journals", str(save_journals(tmp_path / "journals")))
        except Exception as error:  # noqa: BLE001 - the run's own failure is what must surface
            report(f"tier B ({SIZE}) failed, and its journals could not be read", repr(error))
        raise
    finally:
        memory.stop()
        report(f"tier B ({SIZE}) peak qemu RSS, all VMs", f"{memory.peak_kib / 1024:.0f} MiB")
        if applied or ws.state():
            ws.run("destroy", "-auto-approve", "-input=false")
    for name in NAMES:
        assert domain_state(name) is None, f"{name} left behind"
    assert not [v for v in seed_volumes() if v.startswith(PREFIX)]


def rotate_certificates_live(ws, ca, tmp_path, report):
    """New certificates for every PostgreSQL node while the writer commits through the load balancer."""
    # 1. Certificate rotation, live: new certificates for every PostgreSQL node. pgha writes them
    # into the running guests and reloads Patroni: no reboot, no restart, no failover, no client error.
    client = tmp_path / "haproxy-client.crt", tmp_path / "haproxy-client.key"
    haproxy_client = certificates(ws, "haproxy_client")[None]
    client[0].write_text(haproxy_client["cert_pem"])
    client[1].write_text(haproxy_client["private_key_pem"])
    os.chmod(client[1], 0o600)
    before = {ip: postmaster_start(ip, ca) for ip in POSTGRES.values()}
    pids = qemu_pids()
    old_certs = certificates(ws, "postgres")
    leader_before = primary_ip(ca)
    writer = Writer(LB, APP_PASSWORD, ca, first_id=1, user=APP_USER).start()
    try:
        wait_for(lambda: len(writer.acked) >= 50, 120, "50 acknowledged rows before the rotation")
        started = time.monotonic()
        ws.run("apply", "-auto-approve", "-input=false",
               *[f'-replace=pgha_certificate.postgres["{name}"]' for name in POSTGRES], timeout=1200)
        rotated_in = time.monotonic() - started
        acked_now = len(writer.acked)
        wait_for(lambda: len(writer.acked) >= acked_now + 50, 60, "50 more acknowledged rows")
    finally:
        writer.stop()
    new_certs = certificates(ws, "postgres")
    leader_after = primary_ip(ca)
    restarted = {name: (before[ip], postmaster_start(ip, ca)) for name, ip in POSTGRES.items()
                 if postmaster_start(ip, ca) != before[ip]}
    report(f"tier B ({SIZE}) live certificate rotation ({len(POSTGRES)} nodes)",
           f"apply {rotated_in:.0f} s, {len(writer.acked)} acked, {len(writer.errors)} client errors, "
           f"{len(writer.unknown)} unknown outcome, largest gap between commits {largest_gap(writer, started):.1f} s, "
           f"leader {leader_before} -> {leader_after}, PostgreSQL restarted (start before, after): {restarted or 'none'}")
    for name, ip in POSTGRES.items():
        assert new_certs[name]["serial"] != old_certs[name]["serial"]
        expected = der(new_certs[name]["cert_pem"])
        assert served_certificate(ip, 5432, ca) == expected, f"{name}'s PostgreSQL serves an old certificate"
        assert served_certificate(ip, 8008, ca, client) == expected, f"{name}'s REST API serves an old certificate"
        assert name not in restarted, f"{name}'s PostgreSQL restarted"
        assert qemu_pids()[name] == pids[name], f"{name}'s VM restarted"
    assert leader_after == leader_before, "the rotation moved the leader"
    assert not writer.errors and not writer.unknown, writer.errors[:5]


def replace_postgres_leader(ws, ca, report):
    """`-replace` of the PostgreSQL leader's VM while the writer commits: switched over first, no row lost."""
    leader_before = primary_ip(ca)
    # 2. Replacing the leader's VM: pgha switches over to the synchronous standby first, then
    # deletes and recreates the VM on the same disks; the apply returns once it is healthy again.
    leader = next(name for name, ip in POSTGRES.items() if ip == leader_before)
    writer, _, started, replaced_in = under_writer(
        ca, "the replacement", 1_000_000,
        lambda: ws.run("apply", "-auto-approve", "-input=false", f'-replace=pgha_postgres_node.postgres["{leader}"]',
                       timeout=BOOT_TIMEOUT + 300))
    new_leader_ip = primary_ip(ca)
    assert new_leader_ip and new_leader_ip != leader_before, "the replaced leader was not switched over first"
    switched = writer.acks_from(leader_before, started)
    wait_for(lambda: healthy(ca), 300, f"{leader} back as a replica")
    acked = set(writer.acked)
    lost = {ip: len(acked - present_ids(ip, PASSWORD, ca, acked)) for ip in POSTGRES.values()}
    report(f"tier B ({SIZE}) leader VM replaced (switchover first)",
           f"apply {replaced_in:.0f} s, first commit on the new leader after {switched[0] - started:.1f} s, "
           f"largest gap between commits {largest_gap(writer, started):.0f} s "
           f"(strict synchronous mode with {POSTGRES_COUNT} nodes waits for the rebuilt standby), "
           f"{len(acked)} acked, lost per node {lost}, {len(writer.unknown)} unknown outcome")
    assert not any(lost.values()), f"acknowledged rows missing: {lost}"


def retire_node_exporters(ws, ca, report):
    """A block taken away from running VMs (node_exporter disabled): the live change stops and disables
    the unit pgha made and deletes its files, with no restart of the cluster's services."""
    wait_for(lambda: healthy(ca), 600, "a healthy cluster before the node exporters are retired")
    started = time.monotonic()
    ws.write("retire.auto.tfvars.json", json.dumps({"node_exporter": False}))
    ws.run("apply", "-auto-approve", "-input=false", timeout=1800)
    took = time.monotonic() - started
    check = ["/bin/sh", "-c", "systemctl is-active prometheus-node-exporter; systemctl is-enabled prometheus-node-exporter; "
             "test -e /etc/systemd/system/prometheus-node-exporter.service.d/pgha.conf && echo kept || echo deleted"]
    # Every VM of the cluster (the day-2 run's broken node is made later).
    seen = {name: guest_run(name, check, timeout=120)[1].split() for name in NAMES if name != BROKEN}
    report(f"tier B ({SIZE}) node exporters retired live", f"apply {took:.0f} s; {seen}")
    for name, said in seen.items():
        assert said == ["inactive", "disabled", "deleted"], f"{name}: {said}"
    ws.run("plan", "-detailed-exitcode", "-input=false", expect=0)
    assert healthy(ca), "the cluster is not healthy after the node exporters were retired"


def etcdctl(client, *args, timeout=15):
    """etcdctl at every member from this host with a member's certificate (its CN names no etcd user:
    the member list and status need none, and health counts etcd's permission denied as served)."""
    env = {"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"}
    cmd = ["etcdctl", "--endpoints", ",".join(f"https://{ip}:2379" for ip in ETCD.values()),
           "--cacert", str(client[0]), "--cert", str(client[1]), "--key", str(client[2]),
           "--command-timeout=5s", "-w", "json", *args]
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(out.stdout) if out.returncode == 0 else None


def under_writer(ca, what, first_id, apply, sampler=None, settle=None):
    """Runs `apply()` while the writer commits through the load balancer: 50 acknowledged rows
    before, then (after `settle()`, if given) 50 more. `sampler()` starts just before the apply.
    Returns the stopped writer and sampler, when the apply started and how long it took."""
    writer = Writer(LB, APP_PASSWORD, ca, first_id=first_id, user=APP_USER).start()
    running = None
    try:
        wait_for(lambda: len(writer.acked) >= 50, 120, f"50 acknowledged rows before {what}")
        started = time.monotonic()
        running = sampler() if sampler else None
        apply()
        took = time.monotonic() - started
        if settle:
            settle()
        acked_now = len(writer.acked)
        wait_for(lambda: len(writer.acked) >= acked_now + 50, 300, "50 more acknowledged rows")
    finally:
        if running:
            running.stop()
        writer.stop()
    return writer, running, started, took


class Sampler:
    """Calls `sample()` about once a second in a thread until stopped, keeping (time, result) pairs."""

    def __init__(self):
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), self.sample()))
            self._stop.wait(1)

    def sample(self):
        raise NotImplementedError

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=60)
        return self


class QuorumSampler(Sampler):
    """Asks every etcd member for a linearizable read (`endpoint health`): the cluster has its
    quorum when at least one answers it."""

    def __init__(self, client):
        self.client = client
        super().__init__()

    def sample(self):
        env = {"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"}
        healthy = []
        for name, ip in ETCD.items():
            out = subprocess.run(["etcdctl", "--endpoints", f"https://{ip}:2379", "--cacert", str(self.client[0]),
                                  "--cert", str(self.client[1]), "--key", str(self.client[2]),
                                  "--command-timeout=3s", "endpoint", "health"],
                                 env=env, capture_output=True, text=True, timeout=10)
            if out.returncode == 0:
                healthy.append(name)
        return healthy

    def without_quorum(self):
        return [t for t, healthy in self.samples if not healthy]


def replace_etcd_leader(ws, ca, tmp_path, report):
    """`-replace` of the etcd leader's pgha_etcd_member while the writer commits through the load
    balancer: the member leaves first (its leadership moved), the new VM joins as a learner and is
    promoted. etcd keeps its quorum at every sample, Patroni keeps its leader, no row is lost."""
    client = tmp_path / "ca.pem", tmp_path / "etcd-client.crt", tmp_path / "etcd-client.key"
    member_cert = certificates(ws, "etcd")[f"{PREFIX}etcd-1"]
    client[1].write_text(member_cert["cert_pem"])
    client[2].write_text(member_cert["private_key_pem"])
    os.chmod(client[2], 0o600)
    # The cluster runs: members added or replaced from now on join it. The members that exist keep
    # what they were created with (no etcd restarts).
    ws.write("etcd.auto.tfvars.json", json.dumps({"etcd_initializing": False}))
    ws.run("apply", "-auto-approve", "-input=false", timeout=1800)
    members_before = {m["name"]: m["ID"] for m in etcdctl(client, "member", "list")["members"]}
    statuses = etcdctl(client, "endpoint", "status")
    leader_id = statuses[0]["Status"]["leader"]
    leader = next(name for name, mid in members_before.items() if mid == leader_id)
    wait_for(lambda: healthy(ca), 600, "a healthy cluster before the etcd replacement")
    pg_leader = primary_ip(ca)
    timeline = query_one(pg_leader, PASSWORD, ca, "SELECT timeline_id FROM pg_control_checkpoint()")
    writer, sampler, started, took = under_writer(
        ca, "the etcd replacement", 2_000_000,
        lambda: ws.run("apply", "-auto-approve", "-input=false", f'-replace=pgha_etcd_member.etcd["{leader}"]',
                       timeout=BOOT_TIMEOUT + 300),
        sampler=lambda: QuorumSampler(client))
    members_after = etcdctl(client, "member", "list")["members"]
    voting = {m["name"]: m["ID"] for m in members_after if not m.get("isLearner")}
    acked = set(writer.acked)
    lost = {ip: len(acked - present_ids(ip, PASSWORD, ca, acked)) for ip in POSTGRES.values()}
    report(f"tier B ({SIZE}) etcd leader's VM replaced ({leader})",
           f"apply {took:.0f} s, {len(sampler.without_quorum())} of {len(sampler.samples)} samples without a quorum, "
           f"largest gap between commits {largest_gap(writer, started):.1f} s, {len(acked)} acked, lost per node {lost}, "
           f"{len(writer.errors)} client errors, Patroni leader kept: {primary_ip(ca) == pg_leader}")
    assert sorted(voting) == sorted(ETCD), f"voting members after the replacement: {members_after}"
    assert voting[leader] != members_before[leader], "the replaced member kept its old ID: it was never removed"
    assert not sampler.without_quorum(), "etcd lost its quorum during the replacement"
    assert primary_ip(ca) == pg_leader, "Patroni's leader changed during the etcd replacement"
    assert query_one(pg_leader, PASSWORD, ca, "SELECT timeline_id FROM pg_control_checkpoint()") == timeline
    assert not any(lost.values()), f"acknowledged rows missing: {lost}"
    ws.run("plan", "-detailed-exitcode", "-input=false", expect=0)


class DownSampler(Sampler):
    """Samples every PostgreSQL node: how many did not answer at once."""

    def __init__(self, ca):
        self.ca = ca
        super().__init__()

    def sample(self):
        # Down: the VM is not running, or PostgreSQL refuses or fails the query. The timeout is
        # generous: an emulated guest on a busy host can be slow to answer and still be up.
        return [name for name, ip in POSTGRES.items()
                if domain_state(name) != "running"
                or query_one(ip, PASSWORD, self.ca, "SELECT 1", timeout=10) is None]

    @property
    def most_down(self):
        return max((len(down) for _, down in self.samples), default=0)

    def order(self):
        """The nodes in the order they first went down."""
        seen = []
        for _, down in self.samples:
            seen += [name for name in down if name not in seen]
        return seen


def rolling_step(ws, ca, report, what, first_id, tfvars, check):
    """One apply of `tfvars` while the writer commits and every node is sampled: at most one node down at
    any sample, the leader last (after a switchover), no acknowledged row lost."""
    wait_for(lambda: healthy(ca), 600, f"a healthy cluster before {what}")
    leader_ip = primary_ip(ca)
    leader = next(name for name, ip in POSTGRES.items() if ip == leader_ip)
    ws.write("day2.auto.tfvars.json", json.dumps(tfvars))
    writer, sampler, started, took = under_writer(
        ca, what, first_id, lambda: ws.run("apply", "-auto-approve", "-input=false", timeout=3600),
        sampler=lambda: DownSampler(ca),
        settle=lambda: wait_for(lambda: healthy(ca), 600, f"a healthy cluster after {what}"))
    check()
    acked = set(writer.acked)
    lost = {ip: len(acked - present_ids(ip, PASSWORD, ca, acked)) for ip in POSTGRES.values()}
    order = sampler.order()
    report(f"tier B ({SIZE}) {what}",
           f"apply {took:.0f} s, at most {sampler.most_down} node(s) down at once, went down in order {order} "
           f"(leader before: {leader}, after: {next((n for n, ip in POSTGRES.items() if ip == primary_ip(ca)), None)}), "
           f"largest gap between commits "
           f"{largest_gap(writer, started):.0f} s, {len(acked)} acked, lost per node {lost}, "
           f"{len(writer.unknown)} unknown outcome")
    assert sampler.most_down <= 1, ("two nodes down at once (seconds after the apply started): "
                                    f"{[(round(t - started), d) for t, d in sampler.samples if len(d) > 1][:5]}")
    assert not any(lost.values()), f"acknowledged rows missing: {lost}"
    return leader, order


def rolling_changes(ws, ca, report):
    """A restart-requiring parameter, then a new memory size for every PostgreSQL node, each in one apply;
    then `running = false` on the leader."""
    params = {"max_connections": "120", "wal_keep_size": "256MB"}

    before = {name: postmaster_start(ip, ca) for name, ip in POSTGRES.items()}
    pids = qemu_pids()
    started = {}

    def restarted_with_parameter():
        for name, ip in POSTGRES.items():
            assert query_one(ip, PASSWORD, ca, "SHOW max_connections") == ("120",), name
            assert query_one(ip, PASSWORD, ca, "SELECT count(*) FROM pg_settings WHERE pending_restart") == (0,), name
            started[name] = postmaster_start(ip, ca)
            assert started[name] != before[name], f"{name}'s PostgreSQL did not restart"
            assert qemu_pids()[name] == pids[name], f"{name}'s VM restarted for a parameter"
    leader, _ = rolling_step(ws, ca, report, "restart-requiring parameter (max_connections) rolled live",
                             3_000_000, {"postgres_params": params}, restarted_with_parameter)
    # PostgreSQL restarted on every node (VMs untouched), the leader's last (it restarted as a replica
    # after handing over). The start times are the nodes' own clocks, which chrony keeps in step.
    assert max(started, key=started.get) == leader, f"the leader {leader} did not restart last: {started}"

    def resized():
        for name in POSTGRES:
            assert "<memory unit='KiB'>1179648</memory>" in virsh("dumpxml", name).stdout, name
    leader, order = rolling_step(ws, ca, report, "new memory for every PostgreSQL node, one apply",
                                 4_000_000, {"postgres_params": params, "postgres_memory": 1152}, resized)
    assert sorted(order) == sorted(POSTGRES) and order[-1] == leader, (leader, order)

    # running = false on the leader: it hands over before it stops (with two nodes, strict synchronous
    # replication then takes no commit until it is back, so no writer here).
    wait_for(lambda: healthy(ca), 600, "a healthy cluster before stopping the leader")
    leader_ip = primary_ip(ca)
    leader = next(name for name, ip in POSTGRES.items() if ip == leader_ip)
    ws.write("day2.auto.tfvars.json", json.dumps({"postgres_params": params, "postgres_memory": 1152,
                                                  "stopped_postgres_nodes": [leader]}))
    ws.run("apply", "-auto-approve", "-input=false", timeout=1800)
    assert domain_state(leader) == "shut off", domain_state(leader)
    others = [ip for ip in POSTGRES.values() if ip != leader_ip]
    promoted = [ip for ip in others if query_one(ip, PASSWORD, ca, "SELECT pg_is_in_recovery()") == (False,)]
    assert len(promoted) == 1, f"no survivor leads after {leader} stopped: {promoted}"
    ws.write("day2.auto.tfvars.json", json.dumps({"postgres_params": params, "postgres_memory": 1152}))
    ws.run("apply", "-auto-approve", "-input=false", timeout=1800)
    wait_for(lambda: healthy(ca), 600, f"{leader} back as a replica")
    report(f"tier B ({SIZE}) running = false on the leader", f"{leader} handed over to {promoted[0]} before it stopped")


BROKEN_TF = """
# A PostgreSQL node with a wrong etcd password: Patroni never gets into etcd, so the node never
# becomes healthy and its create must fail within its timeout, saying what it saw.
resource "pgha_certificate" "broken" {
  common_name        = "%(name)s"
  ip_addresses       = ["%(ip)s"]
  allowed_uses       = ["digital_signature", "key_encipherment", "server_auth", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

resource "pgha_postgres_node" "broken" {
  name                   = "%(name)s"
  domain_type            = var.domain_type
  vcpus                  = var.vcpus
  memory                 = var.memory
  volume_id              = var.os_volume_ids["%(name)s"]
  cloud_init_volume_pool = var.pool
  install_dependencies   = var.install_dependencies
  shutdown_timeout       = var.shutdown_timeout
  kernel                 = var.kernel
  initrd                 = var.initrd
  cmdline                = var.cmdline
  console_log            = "${var.console_log_dir}/%(name)s.log"
  timeouts {
    create = "%(timeout)s"
  }
  network_interface {
    network_name  = var.network
    ip            = "%(ip)s"
    prefix_length = 24
  }
  postgres {
    superuser_password  = var.postgres_superuser_password
    replicator_password = var.postgres_replicator_password
    ca_cert             = pgha_certificate.ca.cert_pem
    server_cert         = pgha_certificate.broken.chain_pem
    server_key          = pgha_certificate.broken.private_key_pem
    member_addresses    = concat(values(local.postgres), local.admins)
  }
  etcd {
    endpoints   = [for ip in values(local.etcd) : "${ip}:2379"]
    ca_cert     = pgha_certificate.ca.cert_pem
    username    = "patroni"
    password    = "not-the-etcd-password"
    client_cert = pgha_certificate.patroni_etcd_client.cert_pem
    client_key  = pgha_certificate.patroni_etcd_client.private_key_pem
  }
  patroni {
    scope = "${local.prefix}pgha"
  }
}
"""


def never_healthy(ws, report):
    """A node with a wrong etcd password fails its create within `timeouts.create`, with what it saw, and
    stays in the state (tainted) so the next apply can replace or destroy it."""
    timeout = 8
    ws.write("broken.tf", BROKEN_TF % {"name": BROKEN, "ip": f"{SUBNET}.29", "timeout": f"{timeout}m"})
    started = time.monotonic()
    out = ws.run("apply", "-auto-approve", "-input=false", expect=1, timeout=1800)
    took = time.monotonic() - started
    said = " ".join(out.stderr.split())
    assert BROKEN in said and "Patroni" in said, out.stderr
    # What the boot waits on, from pgha-wait-etcd-auth's lines in cloud-init's output: etcd's refusal.
    assert "authentication failed" in said, out.stderr
    assert took < timeout * 60 + 180, f"the failed create took {took:.0f} s for a {timeout} min timeout"
    broken = [i for r in ws.state()["resources"] if r["type"] == "pgha_postgres_node" and r["name"] == "broken"
              for i in r["instances"]]
    assert broken and broken[0].get("status") == "tainted", broken
    assert "not-the-etcd-password" not in out.stdout + out.stderr
    report(f"tier B ({SIZE}) a node with a wrong etcd password",
           f"create failed after {took:.0f} s ({timeout} min timeout), tainted; the diagnostic: "
           + said[said.find("Error:"):][:1500])
    (ws.dir / "broken.tf").unlink()
    ws.run("apply", "-auto-approve", "-input=false", timeout=1200)
    assert domain_state(BROKEN) is None


def power_off_leader(ca, report):
    """The leader's VM loses power mid-stream; a survivor is promoted, the VM comes back as a replica, and
    no acknowledged row is lost."""
    leader_ip = primary_ip(ca)
    leader = next(name for name, ip in POSTGRES.items() if ip == leader_ip)
    writer = Writer(LB, APP_PASSWORD, ca, first_id=2_000_000, user=APP_USER).start()
    try:
        wait_for(lambda: len(writer.acked) >= 100, 120, "100 acknowledged rows before the fault")
        fault = time.monotonic()
        virsh("destroy", leader)  # power cut: the VM's disks keep only what reached them
        others = [ip for ip in POSTGRES.values() if ip != leader_ip]
        wait_for(lambda: any(replication(ip, ca) is not None and primary_ip(ca) == ip for ip in others), 300,
                 "a surviving node to be promoted")
        promoted = time.monotonic() - fault
        # The operator (or libvirt's autostart) brings the VM back; with two PostgreSQL nodes,
        # strict synchronous replication takes no commit until it is back as a replica.
        virsh("start", leader)
        wait_for(lambda: writer.acks_from(leader_ip, fault), 600, "acknowledged writes on the new leader")
        outage = writer.acks_from(leader_ip, fault)[0] - fault
        acked_now = len(writer.acked)
        wait_for(lambda: len(writer.acked) >= acked_now + 50, 120, "50 more acknowledged rows")
    finally:
        writer.stop()
    wait_for(lambda: healthy(ca), 600, f"{leader} back as a replica")
    acked = set(writer.acked)
    new_leader_ip = primary_ip(ca)
    lost = {ip: len(acked - present_ids(ip, PASSWORD, ca, acked)) for ip in POSTGRES.values()}
    if any(lost.values()):
        time.sleep(10)  # an asynchronous replica may still be replaying
        lost = {ip: len(acked - present_ids(ip, PASSWORD, ca, acked)) for ip in POSTGRES.values()}
    report(f"tier B ({SIZE}) leader VM powered off",
           f"promotion {promoted:.0f} s, writes again after {outage:.0f} s, {len(acked)} acked, "
           f"lost per node {lost}, {len(writer.unknown)} unknown outcome, {leader_ip} -> {new_leader_ip}")
    assert not any(lost.values()), f"acknowledged rows missing: {lost}"
