# pgha's health probe. The provider runs it inside a guest through the QEMU
# guest agent (python3 reads it from standard input; the role is argv[1],
# and argv[2] is "wait" when an operation waits for health rather than a
# refresh looking) and reads the one JSON object it prints. Health comes from the services
# themselves (etcd's own status, Patroni's REST API, HAProxy's view of its
# servers), read with the node's own certificates; cloud-init's stage, the
# unit's state and its journal are reported as context for a diagnostic.
# It prints facts only, never a secret.
import json
import os
import socket
import ssl
import subprocess
import sys
import urllib.request

import yaml

UNITS = {"etcd": "etcd", "patroni": "patroni", "haproxy": "haproxy", "pgbackrest": "pgbackrest"}


def run(argv, env=None, timeout=15):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
        return out.returncode, out.stdout, out.stderr
    except (OSError, subprocess.TimeoutExpired) as error:
        return -1, "", str(error)


def cloud_init():
    try:
        with open("/run/cloud-init/status.json") as f:
            status = json.load(f)["v1"]
    except (OSError, ValueError, KeyError):
        return {"stage": "not started", "done": False, "errors": []}
    errors = []
    for stage in ("init-local", "init", "modules-config", "modules-final"):
        errors += [str(e)[:200] for e in (status.get(stage) or {}).get("errors") or []]
    try:
        with open("/run/cloud-init/result.json"):
            done = True
    except OSError:
        done = False
    report = {"stage": status.get("stage") or ("done" if done else "between stages"), "done": done, "errors": errors[:3]}
    if not done:
        report["output"] = own_output()
    return report


def own_output():
    """The last lines pgha's own boot scripts (named pgha-*) wrote to cloud-init's output: what a
    boot still in progress waits on. Only theirs: they never print a secret, and other commands'
    output is not read."""
    try:
        with open("/var/log/cloud-init-output.log", "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 65536))
            tail = f.read().decode(errors="replace")
        lines = [line.strip()[:300] for line in tail.splitlines() if line.startswith("pgha-")]
    except OSError:
        return []
    # The newest three different lines (a wait repeats itself once a minute).
    distinct = []
    for line in reversed(lines):
        if line not in distinct:
            distinct.append(line)
        if len(distinct) == 3:
            break
    return distinct[::-1]


def unit(name):
    code, out, _ = run(["systemctl", "show", "-p", "ActiveState,SubState,NRestarts", name])
    facts = dict(line.split("=", 1) for line in out.splitlines() if "=" in line) if code == 0 else {}
    _, journal, _ = run(["journalctl", "-u", name, "-n", "8", "--no-pager", "-o", "cat"])
    return {"state": "/".join(v for v in (facts.get("ActiveState"), facts.get("SubState")) if v) or "unknown",
            "restarts": int(facts.get("NRestarts") or 0),
            "journal": [line[:240] for line in journal.splitlines()[-8:]]}


def etcd(report):
    with open("/etc/etcd/pgha.yml") as f:
        conf = yaml.safe_load(f)
    tls = conf["client-transport-security"]
    endpoint = conf["advertise-client-urls"].split(",")[0]
    base = ["etcdctl", "--endpoints", endpoint, "--cacert", tls["trusted-ca-file"], "--cert", tls["cert-file"],
            "--key", tls["key-file"], "--command-timeout=8s", "-w", "json"]
    env = {"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"}
    code, out, err = run(base + ["endpoint", "status"], env)
    if code != 0:
        report["problem"] = "etcd does not answer: " + err.strip()[-300:]
        return
    status = json.loads(out)[0]["Status"]
    report["member_id"] = "%x" % status["header"]["member_id"]
    # etcd leaves `leader` out of its JSON while it has none (an election is under way).
    leader = status.get("leader", 0)
    report["is_leader"] = leader != 0 and leader == status["header"]["member_id"]
    report["is_learner"] = bool(status.get("isLearner"))
    if leader == 0:
        report["problem"] = "etcd has no leader (an election is under way, or no quorum)"
        return
    code, out, err = run(base + ["endpoint", "health"], env)
    report["service_healthy"] = code == 0 and all(e.get("health") for e in json.loads(out or "[]"))
    code, out, err = run(base + ["member", "list"], env)
    members = json.loads(out).get("members", []) if code == 0 else []
    report["voting_members"] = sum(1 for m in members if not m.get("isLearner"))
    report["member_names"] = sorted(m.get("name", "") for m in members)
    code, out, err = run(base + ["endpoint", "health", "--cluster"], env, timeout=20)
    try:
        everyone = json.loads(out or "[]")
    except ValueError:
        everyone = []
    report["cluster_healthy"] = code == 0 and len(everyone) == len(members) and all(e.get("health") for e in everyone)
    if report["is_learner"]:
        report["problem"] = "this member is still a learner"
    elif not report["service_healthy"]:
        report["problem"] = "etcd reports this member unhealthy (no quorum yet?)"
    else:
        report["healthy"] = True
        report["role"] = "leader" if report["is_leader"] else "follower"


def https_json(url, context, timeout=10):
    try:
        with urllib.request.urlopen(url, context=context, timeout=timeout) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.load(error)
        except ValueError:
            return error.code, None


def patroni(report):
    with open("/etc/patroni/config.yml") as f:
        conf = yaml.safe_load(f)
    rest = conf["restapi"]
    context = ssl.create_default_context(cafile=rest["cafile"])
    context.load_cert_chain(rest["certfile"], rest["keyfile"])
    url = "https://%s" % rest["connect_address"]
    try:
        _, me = https_json(url + "/patroni", context)
        _, cluster = https_json(url + "/cluster", context)
        _, config = https_json(url + "/config", context)
    except (OSError, ValueError) as error:
        report["problem"] = "Patroni's REST API does not answer: %s" % error
        return
    name = conf["name"]
    members = {m["name"]: m for m in (cluster or {}).get("members", [])}
    mine = members.get(name, {})
    report["state"] = me.get("state")
    report["role"] = mine.get("role") or me.get("role")
    report["timeline"] = me.get("timeline")
    report["pending_restart"] = bool(me.get("pending_restart"))
    report["members"] = len(members)
    report["member_names"] = sorted(members)
    max_lag = (config or {}).get("maximum_lag_on_failover", 1048576)
    leaders = [m for m in members.values() if m["role"] in ("leader", "standby_leader") and m.get("state") == "running"]
    report["cluster_healthy"] = len(leaders) == 1 and all(
        m.get("state") in ("running", "streaming") and (m in leaders or isinstance(m.get("lag"), int))
        for m in members.values())
    if me.get("state") != "running":
        report["problem"] = "PostgreSQL is %s" % me.get("state")
        return
    if report["role"] in ("leader", "standby_leader"):
        if me.get("role") not in ("master", "primary", "standby_leader"):
            report["problem"] = "holds the leader key but is not promoted yet"
            return
        report["lag_bytes"] = 0
        backup_check(report)
        return
    lag = mine.get("lag")
    if not isinstance(lag, int):
        report["problem"] = "its replication lag is unknown"
        return
    report["lag_bytes"] = lag
    leader = next((m for m in members.values() if m["role"] in ("leader", "standby_leader")), None)
    if leader is None:
        report["problem"] = "the cluster has no leader"
        return
    try:
        _, leader_status = https_json(leader["api_url"].rsplit("/", 1)[0] + "/patroni", context)
    except (OSError, ValueError) as error:
        report["problem"] = "the leader's REST API does not answer: %s" % error
        return
    streaming = any(r.get("application_name") == name and r.get("state") == "streaming"
                    for r in (leader_status or {}).get("replication", []))
    if not streaming:
        report["problem"] = "not streaming from the leader %s" % leader["name"]
    elif lag > max_lag:
        report["problem"] = "lag %d bytes exceeds maximum_lag_on_failover %d" % (lag, max_lag)
    else:
        backup_check(report)


def backup_check(report):
    """With a backup repository, and only when an operation waits (argv[2] == "wait": `check` makes
    the leader switch WAL segments, which a refresh must not do): pgBackRest's own check, that this
    node's WAL reaches the repository's stanza. Marks the node healthy when it passes or there is
    nothing to check."""
    if WAIT and os.path.exists("/etc/pgbackrest/pgbackrest.conf"):
        with open("/etc/pgbackrest/pgbackrest.conf") as f:
            # Sections are [global], [global:<command>] and one per stanza (a stanza name has no colon).
            stanzas = [line.strip()[1:-1] for line in f if line.startswith("[") and ":" not in line
                       and line.strip() != "[global]"]
        for stanza in stanzas:
            code, out, err = run(["runuser", "-u", "postgres", "--", "pgbackrest", "--stanza=" + stanza,
                                  "--archive-timeout=30", "check"], timeout=60)
            if code != 0:
                lines = [line.strip() for line in (out + err).splitlines() if line.strip()]
                report["problem"] = "pgbackrest check of stanza %s failed (exit %d): %s" % (
                    stanza, code, " | ".join(lines[-4:])[:600])
                return
        report["backup_checked"] = True
    report["healthy"] = True


def haproxy(report):
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(5)
    try:
        sock.connect("/var/lib/haproxy/pgha-stats.sock")
        sock.sendall(b"show stat\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError as error:
        report["problem"] = "HAProxy's stats socket does not answer: %s" % error
        return
    finally:
        sock.close()
    lines = data.decode(errors="replace").splitlines()
    header = lines[0].lstrip("# ").split(",") if lines else []
    rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
    servers = [r for r in rows if r.get("pxname") == "postgres" and r.get("svname") not in ("FRONTEND", "BACKEND")]
    up = [r["svname"] for r in servers if r.get("status", "").startswith("UP")]
    report["servers_up"] = up
    if len(up) == 1:
        report["healthy"] = True
        report["role"] = "routing"
    elif not up:
        report["problem"] = "no PostgreSQL leader is up behind port 5432"
    else:
        report["problem"] = "more than one server is up behind port 5432: %s" % ", ".join(up)


def pgbackrest(report):
    """A backup repository is healthy when its TLS server completes a mutual TLS handshake with its own
    certificate, as the nodes' will; the stanzas' state is context (a cluster may come later)."""
    settings = {}
    with open("/etc/pgbackrest/pgbackrest.conf") as f:
        for line in f:
            if line.startswith("["):
                if line.strip() != "[global]":
                    break
                continue
            key, sep, value = line.strip().partition("=")
            if sep and not key.startswith("#"):
                settings[key] = value
    context = ssl.create_default_context(cafile=settings["tls-server-ca-file"])
    context.load_cert_chain(settings["tls-server-cert-file"], settings["tls-server-key-file"])
    address, port = settings["tls-server-address"], int(settings.get("tls-server-port", "8432"))
    try:
        with socket.create_connection((address, port), timeout=5) as sock:
            with context.wrap_socket(sock, server_hostname=address):
                pass
    except (OSError, ssl.SSLError) as error:
        report["problem"] = "pgBackRest's TLS server on %s:%d does not answer: %s" % (address, port, error)
        return
    code, out, err = run(["runuser", "-u", "postgres", "--", "pgbackrest", "info", "--output=json"], timeout=30)
    try:
        stanzas = json.loads(out) if code == 0 else []
    except ValueError:
        stanzas = []
    report["stanzas"] = [{"name": s.get("name"), "status": (s.get("status") or {}).get("message"),
                          "backups": len(s.get("backup") or [])} for s in stanzas]
    report["role"] = "serving"
    report["healthy"] = True


WAIT = len(sys.argv) > 2 and sys.argv[2] == "wait"


def main():
    role = sys.argv[1]
    report = {"role_kind": role, "healthy": False, "cloud_init": cloud_init(), "unit": unit(UNITS[role])}
    try:
        {"etcd": etcd, "patroni": patroni, "haproxy": haproxy, "pgbackrest": pgbackrest}[role](report)
    except Exception as error:  # noqa: BLE001 - the report says what went wrong
        report["healthy"] = False
        report["problem"] = "%s: %s" % (type(error).__name__, str(error)[:300])
    print(json.dumps(report))


main()
