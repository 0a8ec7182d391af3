"""Runs the files and commands pgha renders for a VM as processes in a network namespace.

Each node gets its own namespace on a bridge the harness creates (private addresses, never routed),
its own mount namespace per process, and a root directory holding the files of its user-data. Paths
the configuration names (/etc/etcd, /var/lib/etcd, ...) are bind-mounted from that root, so every
configuration file is used exactly as rendered: the harness maps paths, it does not rewrite settings.

Provisioning replays the user-data's runcmd in order, as root in the node's namespace. `systemctl`
is the one command the harness answers itself: `restart X` starts what Debian 12's unit file for X
runs (ExecStart, User=, Environment= and the drop-ins pgha rendered), like systemd would.
"""
import json
import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = ["/usr/bin/python3", str(ROOT / "test" / "tools" / "cloudinit_check.py")]


@dataclass(frozen=True)
class Unit:
    """What a Debian 12 unit file runs: its ExecStart, User= and Environment= lines."""
    argv: tuple
    user: str = "root"
    env: tuple = ()
    dropin_dir: str = ""


# From /lib/systemd/system/{etcd,patroni,haproxy}.service of Debian 12's packages. Patroni's
# ExecStart names /usr/bin/patroni; its shebang is Debian's python, named here by full path because
# the python3 first on a test machine's PATH may not be Debian's (CLUSTER-FACTS 17). haproxy's -Ws is
# its systemd master-worker mode; without NOTIFY_SOCKET it simply stays in the foreground.
DEBIAN_UNITS = {
    "etcd": Unit(("/usr/bin/etcd",), user="etcd",
                 env=("ETCD_NAME=%H", "ETCD_DATA_DIR=/var/lib/etcd/default"),
                 dropin_dir="/etc/systemd/system/etcd.service.d"),
    "patroni": Unit(("/usr/bin/python3", "/usr/bin/patroni", "/etc/patroni/config.yml"), user="postgres",
                    dropin_dir="/etc/systemd/system/patroni.service.d"),
    "haproxy": Unit(("/usr/sbin/haproxy", "-Ws", "-f", "/etc/haproxy/haproxy.cfg")),
    "pgbackrest": Unit(("/usr/bin/pgbackrest", "server"), user="postgres"),
    "prometheus-postgres-exporter": Unit(("/usr/bin/prometheus-postgres-exporter",), user="prometheus",
                                         dropin_dir="/etc/systemd/system/prometheus-postgres-exporter.service.d"),
}

HOMES = {"root": "/root", "etcd": "/var/lib/etcd", "postgres": "/var/lib/postgresql", "haproxy": "/var/lib/haproxy",
         "prometheus": "/var/lib/prometheus"}

# The paths each role's configuration and commands use, bound from the node's root. /etc/postgresql
# is bound (empty) so the prepare script never sees, or drops, the test machine's own 15/main.
# /tmp/pgbackrest is pgBackRest's lock directory: each VM has its own /tmp, these nodes share the host's.
# /etc/hosts is a file: each node edits its own copy of the host's (pgBackRest's peers by name).
PGBACKREST_MOUNTS = ["/etc/pgbackrest", "/var/log/pgbackrest", "/var/spool/pgbackrest", "/tmp/pgbackrest",
                     "/etc/pgha", "/etc/hosts"]
FILE_MOUNTS = {"/etc/hosts"}
ROLE_MOUNTS = {
    "etcd": ["/etc/etcd", "/var/lib/etcd", "/usr/local/sbin", "/etc/systemd/system", "/etc/pgha"],
    "postgres": ["/etc/patroni", "/etc/postgresql", "/var/lib/postgresql", "/run/postgresql", "/usr/local/sbin",
                 "/etc/udev/rules.d", "/etc/prometheus-postgres-exporter", *PGBACKREST_MOUNTS],
    "haproxy": ["/etc/haproxy"],
    "backup_repository": ["/var/lib/pgbackrest", "/etc/systemd/system", "/usr/local/sbin", *PGBACKREST_MOUNTS],
}

# What Debian's packages create on install, with owner and mode (the harness's stand-in for dpkg;
# /tmp/pgbackrest is pgBackRest's own doing on first use).
PGBACKREST_DIRS = [("/var/log/pgbackrest", "postgres", 0o750), ("/var/spool/pgbackrest", "postgres", 0o750),
                   ("/tmp/pgbackrest", "postgres", 0o770)]
PACKAGE_DIRS = {
    "etcd": [("/var/lib/etcd", "etcd", 0o700)],
    "postgres": [("/var/lib/postgresql", "postgres", 0o755), ("/run/postgresql", "postgres", 0o2775),
                 *PGBACKREST_DIRS],
    "haproxy": [],
    "backup_repository": [("/var/lib/pgbackrest", "postgres", 0o750), *PGBACKREST_DIRS],
}


def sh(*argv, check=True):
    return subprocess.run(argv, capture_output=True, text=True, check=check)


class Node:
    def __init__(self, cluster, name, ip, user_data, role):
        self.cluster = cluster
        self.name = name
        self.ip = ip
        self.role = role
        self.mounts = ROLE_MOUNTS[role]
        self.ns = f"pgha-{name}"
        self.root = cluster.base / name
        self.processes = []
        self.units = {}
        self.doc = self._parse(user_data)

    def _parse(self, user_data):
        path = self.cluster.base / f"{self.name}.user-data"
        path.write_text(user_data)
        doc = json.loads(subprocess.run([*CHECK, "user-data", str(path)], capture_output=True, text=True,
                                        check=True).stdout)
        assert doc["valid"], doc["errors"]
        return doc

    def reconfigure(self, user_data):
        """New user-data for a running node, as an Update writes it over the guest agent: its files are
        rewritten; applying them (the role's live effect) is the caller's."""
        self.doc = self._parse(user_data)
        self.write_files()

    def write_files(self):
        """Writes each write_files entry under the node's root with its owner and mode."""
        for entry in self.doc["doc"].get("write_files", []):
            path = self.root / entry["path"].lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.doc["files"][entry["path"]])
            user, _, group = entry.get("owner", "root:root").partition(":")
            shutil.chown(path, user, group or user)
            os.chmod(path, int(entry.get("permissions", "0644"), 8))

    def install_package_dirs(self):
        for path, owner, mode in PACKAGE_DIRS[self.role]:
            target = self.root / path.lstrip("/")
            target.mkdir(parents=True, exist_ok=True)
            shutil.chown(target, owner, owner)
            os.chmod(target, mode)

    def provision(self):
        """Replays runcmd as cloud-init would: in order, as root; a failing command fails provisioning.
        `systemctl start/restart` of a service starts it; enabling units (timers, oneshot services that
        retry until their cluster answers) is left to the test, which runs them with run_oneshot."""
        for argv in self.doc["runcmd"]:
            if argv[0] == "systemctl":
                if argv[1] in ("start", "restart"):
                    self.start_unit(argv[2])
                continue
            out = self.run(argv, self.mounts, timeout=300)
            assert out.returncode == 0, f"{self.name}: {argv} exited {out.returncode}\n{out.stdout}{out.stderr}"

    def pgha_unit(self, name):
        """A service pgha rendered itself (/etc/systemd/system/<name>.service): its ExecStart and User=."""
        argv, user = (), "root"
        for line in (self.root / "etc/systemd/system" / f"{name}.service").read_text().splitlines():
            key, _, value = line.partition("=")
            if key == "ExecStart":
                argv = tuple(shlex.split(value))
            elif key == "User":
                user = value
        return Unit(argv, user=user)

    def start_unit(self, name):
        unit = DEBIAN_UNITS[name] if name in DEBIAN_UNITS else self.pgha_unit(name)
        env = [e.replace("%H", self.name) for e in unit.env]
        argv = list(unit.argv)
        pre = []
        if unit.dropin_dir:
            # Later Environment= lines win, as in systemd: the drop-ins pgha renders come last. An
            # empty ExecStart= clears the package's command; the next one replaces it.
            for dropin in sorted((self.root / unit.dropin_dir.lstrip("/")).glob("*.conf")):
                for line in dropin.read_text().splitlines():
                    if line.startswith("Environment="):
                        env.extend(shlex.split(line[len("Environment="):]))
                    elif line.startswith("ExecStart="):
                        argv = shlex.split(line[len("ExecStart="):])
                    elif line.startswith("ExecStartPre="):
                        pre.append(line[len("ExecStartPre="):])
        for command in pre:
            # systemd's prefixes: "-" ignores a failure, "+" runs it as root whatever User= says.
            prefixes = command[:len(command) - len(command.lstrip("-+@!:"))]
            pre_argv = shlex.split(command[len(prefixes):])
            out = self.run(pre_argv, self.mounts, user=None if "+" in prefixes or unit.user == "root" else unit.user,
                           timeout=60)
            assert out.returncode == 0 or "-" in prefixes, f"{self.name}: {name} ExecStartPre {pre_argv} failed\n{out}"
        base = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", f"HOME={HOMES[unit.user]}", "LANG=C.UTF-8"]
        assert argv, f"{self.name}: the drop-ins of {name} clear ExecStart and set none"
        argv = ["env", "-i", *base, *env, *argv]
        proc = self.start(argv, self.mounts, user=None if unit.user == "root" else unit.user, log=name)
        self.units[name] = proc
        return proc

    def restart_unit(self, name):
        """Stops the unit's processes (its process group: a server's children with it), then starts it."""
        proc = self.units.get(name)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        return self.start_unit(name)

    def run_oneshot(self, unit, timeout=300):
        """Runs a oneshot unit pgha rendered (/etc/systemd/system/<unit>) as systemd would: its
        ExecStartPre= then ExecStart= lines in order, as its User=; the first failure ends it.
        Returns the last command's CompletedProcess."""
        user, pre, start = "root", [], []
        for line in (self.root / "etc/systemd/system" / unit).read_text().splitlines():
            key, _, value = line.partition("=")
            if key == "User":
                user = value
            elif key in ("ExecStartPre", "ExecStart"):
                (pre if key == "ExecStartPre" else start).append(shlex.split(value))
        out = None
        for argv in pre + start:
            out = self.run(argv, self.mounts, user=None if user == "root" else user, timeout=timeout)
            if out.returncode != 0:
                break
        return out

    def pids(self):
        return [int(p) for p in sh("ip", "netns", "pids", self.ns, check=False).stdout.split()]

    def command(self, argv, mounts, user=None):
        """argv inside the node's network namespace, with `mounts` (absolute paths) bound from its root."""
        lines = []
        for target in mounts:
            source = self.root / target.lstrip("/")
            if target in FILE_MOUNTS:
                if not source.exists():
                    source.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(target, source)
            else:
                source.mkdir(parents=True, exist_ok=True)
                os.makedirs(target, exist_ok=True)
            lines.append(f"mount --bind {shlex.quote(str(source))} {shlex.quote(target)}")
        run = " ".join(shlex.quote(a) for a in argv)
        if user:
            run = f"setpriv --reuid {user} --regid {user} --init-groups {run}"
        lines.append(f"exec {run}")
        return ["ip", "netns", "exec", self.ns, "unshare", "--mount", "--propagation", "private",
                "sh", "-c", "; ".join(lines)]

    def start(self, argv, mounts, user=None, log=None):
        out = open(self.cluster.base / f"{self.name}.{log or Path(argv[0]).name}.log", "ab")
        proc = subprocess.Popen(self.command(argv, mounts, user), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.processes.append(proc)
        return proc

    def run(self, argv, mounts, user=None, timeout=120, input=None):
        return subprocess.run(self.command(argv, mounts, user), capture_output=True, text=True, timeout=timeout,
                              input=input)

    def stop(self):
        """SIGKILL of every process in the namespace, whoever started it (postgres is not Patroni's child)."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for proc in self.processes:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)


class Cluster:
    """A bridge and one namespace per node; everything is removed by close()."""

    BRIDGE = "pghasvc0"

    def __init__(self, base, gateway="10.216.0.1", prefix=24):
        self.base = Path(base)
        self.gateway = gateway
        self.prefix = prefix
        self.nodes = {}
        self.close()
        sh("ip", "link", "add", self.BRIDGE, "type", "bridge")
        sh("ip", "addr", "add", f"{gateway}/{prefix}", "dev", self.BRIDGE)
        sh("ip", "link", "set", self.BRIDGE, "up")

    def add(self, name, ip, user_data, role):
        node = Node(self, name, ip, user_data, role)
        host_end = f"pgv-{name}"[:15]
        # A namespace deleted by an earlier run can outlive its name for a while (the kernel frees it
        # once its last socket is gone), and with it the host end of its link.
        sh("ip", "link", "del", host_end, check=False)
        sh("ip", "netns", "add", node.ns)
        sh("ip", "link", "add", host_end, "type", "veth", "peer", "name", "eth0", "netns", node.ns)
        sh("ip", "link", "set", host_end, "master", self.BRIDGE, "up")
        sh("ip", "netns", "exec", node.ns, "ip", "addr", "add", f"{ip}/{self.prefix}", "dev", "eth0")
        sh("ip", "netns", "exec", node.ns, "ip", "link", "set", "eth0", "up")
        sh("ip", "netns", "exec", node.ns, "ip", "link", "set", "lo", "up")
        node.install_package_dirs()
        node.write_files()
        self.nodes[name] = node
        return node

    def provision(self, nodes):
        """Provisions `nodes` at once, as VMs booting together would (etcd's auth bootstrap waits for
        the other members, Patroni for etcd); fails with every node's error."""
        failures = []

        def one(node):
            try:
                node.provision()
            except Exception as error:  # noqa: BLE001 - reported below
                failures.append(f"{node.name}: {error}")
        threads = [threading.Thread(target=one, args=(n,)) for n in nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures, "\n".join(failures)

    def remove(self, name):
        """Stops a node and deletes its namespace (its files stay for the logs)."""
        node = self.nodes.pop(name)
        node.stop()
        sh("ip", "netns", "del", node.ns, check=False)

    def close(self):
        for node in self.nodes.values():
            node.stop()
        for ns in sh("ip", "netns", "list", check=False).stdout.split("\n"):
            name = ns.split(" ")[0]
            if name.startswith("pgha-"):
                sh("ip", "netns", "del", name, check=False)
        sh("ip", "link", "del", self.BRIDGE, check=False)


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
