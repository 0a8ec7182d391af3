"""Runs the files and commands pgha renders for a VM as processes in a network namespace.

Each node gets its own namespace on a bridge the harness creates (private addresses, never routed),
its own mount namespace per process, and a root directory holding the files of its user-data. Paths
the configuration names (/etc/etcd, /var/lib/etcd, ...) are bind-mounted from that root, so every
configuration file is used exactly as rendered: the harness maps paths, it does not rewrite settings.
"""
import json
import os
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = ["/usr/bin/python3", str(ROOT / "test" / "tools" / "cloudinit_check.py")]


def sh(*argv, check=True):
    return subprocess.run(argv, capture_output=True, text=True, check=check)


class Node:
    def __init__(self, cluster, name, ip, user_data):
        self.cluster = cluster
        self.name = name
        self.ip = ip
        self.ns = f"pgha-{name}"
        self.root = cluster.base / name
        self.processes = []
        path = cluster.base / f"{name}.user-data"
        path.write_text(user_data)
        self.doc = json.loads(subprocess.run([*CHECK, "user-data", str(path)], capture_output=True, text=True,
                                             check=True).stdout)
        assert self.doc["valid"], self.doc["errors"]

    def write_files(self):
        """Writes each write_files entry under the node's root with its owner and mode."""
        for entry in self.doc["doc"].get("write_files", []):
            path = self.root / entry["path"].lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.doc["files"][entry["path"]])
            user, _, group = entry.get("owner", "root:root").partition(":")
            shutil.chown(path, user, group or user)
            os.chmod(path, int(entry.get("permissions", "0644"), 8))

    def command(self, argv, mounts, user=None):
        """argv inside the node's network namespace, with `mounts` (absolute paths) bound from its root."""
        lines = []
        for target in mounts:
            source = self.root / target.lstrip("/")
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

    def run(self, argv, mounts, user=None, timeout=120):
        return subprocess.run(self.command(argv, mounts, user), capture_output=True, text=True, timeout=timeout)

    def stop(self):
        # Every process in the namespace, whoever started it (postgres is not Patroni's child).
        pids = sh("ip", "netns", "pids", self.ns, check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
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

    def add(self, name, ip, user_data):
        node = Node(self, name, ip, user_data)
        host_end = f"pgv-{name}"[:15]
        sh("ip", "netns", "add", node.ns)
        sh("ip", "link", "add", host_end, "type", "veth", "peer", "name", "eth0", "netns", node.ns)
        sh("ip", "link", "set", host_end, "master", self.BRIDGE, "up")
        sh("ip", "netns", "exec", node.ns, "ip", "addr", "add", f"{ip}/{self.prefix}", "dev", "eth0")
        sh("ip", "netns", "exec", node.ns, "ip", "link", "set", "eth0", "up")
        sh("ip", "netns", "exec", node.ns, "ip", "link", "set", "lo", "up")
        node.write_files()
        self.nodes[name] = node
        return node

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
