"""The *_cloud_init data sources through real Terraform/OpenTofu, checked by the real tools.

Debian's cloud-init validates every user-data and network-config; the files inside are then handed
to the programs that will read them on the VMs (patroni --validate-config, haproxy -c, chronyd -p,
a YAML parser for etcd's configuration) and checked for the values the HCL asked for and the facts
of shared/CLUSTER-FACTS.md (certificate usages, pg_hba, file ownership, no CN on Patroni's etcd cert).
"""
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHECK = ["/usr/bin/python3", str(ROOT / "test" / "tools" / "cloudinit_check.py")]
PASSWORD = "pw-'quote\"-$(reboot)-ünï"


def cloud_init(kind, text, tmp):
    path = tmp / f"doc-{abs(hash(text))}"
    path.write_text(text)
    out = subprocess.run([*CHECK, kind, str(path)], capture_output=True, text=True, check=True).stdout
    return json.loads(out) if kind == "user-data" else out


def entries(doc):
    return {e["path"]: e for e in doc["doc"].get("write_files", [])}


@pytest.fixture
def rendered(workspace, tmp_path):
    ws = workspace
    ws.copy_example("cloud-init")
    ws.run("init", "-input=false")
    ws.run("apply", "-auto-approve", "-input=false", "-var", f"password={PASSWORD}")
    user_data = ws.output("user_data")
    docs = {role: cloud_init("user-data", text, tmp_path) for role, text in user_data.items()}
    return ws, user_data, docs


@pytest.mark.smoke
def test_every_document_is_valid_cloud_config(rendered, tmp_path):
    ws, user_data, docs = rendered
    for role, doc in docs.items():
        assert doc["valid"], f"{role}: {doc['errors']}"
    networks = ws.output("network_config")
    eni = cloud_init("network-config", networks["etcd"], tmp_path)
    assert "address 10.215.0.11/24" in eni and "route add default gw 10.215.0.1" in eni
    assert "dns-nameservers 10.215.0.1" in eni
    # The data disk is formatted once and mounted on etcd's data path.
    etcd = docs["etcd"]["doc"]
    assert etcd["fs_setup"][0]["device"] == "/dev/vdb" and etcd["fs_setup"][0]["overwrite"] is False
    assert etcd["mounts"][0][1] == "/var/lib/etcd"
    # Planning again renders the same bytes: nothing to change.
    ws.run("plan", "-detailed-exitcode", "-input=false", "-var", f"password={PASSWORD}", expect=0)


def test_secrets_only_in_private_files(rendered):
    _, _, docs = rendered
    for role, doc in docs.items():
        for path, content in doc["files"].items():
            if PASSWORD in content or "PRIVATE KEY" in content:
                mode = entries(doc)[path]["permissions"]
                assert mode in ("0600", "0640"), f"{role}: {path} holds a secret with mode {mode}"
        # Nothing secret in the commands cloud-init logs.
        assert PASSWORD not in json.dumps(doc["runcmd"])


def test_admin_user_fits_the_debian_guest(rendered):
    """Unset, ssh_admin_user is Debian's cloud-image user, not the modules' Ubuntu one."""
    _, _, docs = rendered
    for role, doc in docs.items():
        names = [u["name"] for u in doc["doc"].get("users", []) if isinstance(u, dict)]
        assert names == ["debian"], f"{role}: {names}"


def test_etcd_configuration(rendered):
    _, _, docs = rendered
    files = docs["etcd"]["files"]
    conf = yaml.safe_load(files["/etc/etcd/pgha.yml"])
    assert conf["name"] == "etcd-1"
    assert conf["listen-client-urls"] == "https://10.215.0.11:2379,https://127.0.0.1:2379"
    assert conf["initial-cluster"] == "etcd-1=https://10.215.0.11:2380"
    assert conf["enable-grpc-gateway"] is True
    assert conf["client-transport-security"]["client-cert-auth"] is True
    assert conf["peer-transport-security"]["client-cert-auth"] is True
    assert entries(docs["etcd"])["/etc/etcd/tls/server.key"]["owner"] == "etcd:etcd"
    # The Patroni user is created with readwrite on its prefix before auth is enabled.
    user = files["/etc/etcd/pgha-auth/user-0.env"]
    env = subprocess.run(["sh", "-c", f"{user}\nprintf '%s\\n%s\\n%s' \"$NAME\" \"$PASSWORD\" \"$PREFIX\""],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    assert env == ["patroni", PASSWORD, "/service/"]
    script = files["/usr/local/sbin/pgha-etcd-bootstrap-auth"]
    assert script.index("grant-permission") < script.index("auth enable")
    subprocess.run(["sh", "-n", "-c", script], check=True)


def test_chrony_and_agents(rendered, tmp_path):
    _, _, docs = rendered
    conf = tmp_path / "chrony.conf"
    conf.write_text(docs["etcd"]["files"]["/etc/chrony/chrony.conf"])
    parsed = subprocess.run(["chronyd", "-p", "-f", str(conf)], capture_output=True, text=True, check=True).stdout
    assert "server 10.215.0.1 iburst" in parsed
    assert "pool pool.ntp.org iburst maxsources 3" in parsed
    assert "makestep 0.5 3" in parsed
    assert "prometheus-node-exporter" in docs["lb"]["doc"]["packages"]
    # fluent-bit comes from the image (install_dependencies = false): nothing is installed, and the last
    # command fails cloud-init, loudly, when fluent-bit does not run. Run here, without fluent-bit, it fails.
    assert "packages" not in docs["etcd"]["doc"]
    check = docs["etcd"]["doc"]["runcmd"][-1]
    assert "fluent-bit" in " ".join(check)
    failed = subprocess.run(check, capture_output=True, text=True)
    assert failed.returncode == 1 and "fluent-bit is not running" in failed.stderr, failed
    # fluent-bit forwards over verified TLS with the shared key in a root-only file.
    output = docs["etcd"]["files"]["/etc/fluent-bit-customization/default-config/fluent-bit-output.conf"]
    assert "tls.verify    On" in output and "storage.total_limit_size 1G" in output
    assert "Systemd_Filter _SYSTEMD_UNIT=etcd.service" in docs["etcd"]["files"][
        "/etc/fluent-bit-customization/default-config/fluent-bit-inputs.conf"]
    # Dynamic configuration: the sync script is valid Python and reads its settings from a private file.
    sync = docs["postgres"]["files"]["/usr/local/sbin/pgha-fluentbit-sync"]
    compile(sync, "pgha-fluentbit-sync", "exec")
    settings = json.loads(docs["postgres"]["files"]["/etc/fluent-bit-customization/etcd.json"])
    assert settings["prefix"] == "/fluent-bit/postgres-1/" and settings["username"] == "fluentbit"
    lb_exporter = docs["lb"]["files"]["/etc/systemd/system/prometheus-node-exporter.service.d/pgha.conf"]
    assert "--web.listen-address=10.215.0.30:9100" in lb_exporter
    # Unset, the exporter binds the advertised address, never every interface.
    etcd_exporter = docs["etcd"]["files"]["/etc/systemd/system/prometheus-node-exporter.service.d/pgha.conf"]
    assert "--web.listen-address=10.215.0.11:9100" in etcd_exporter, etcd_exporter


def test_patroni_configuration(rendered, tmp_path):
    _, _, docs = rendered
    files = docs["postgres"]["files"]
    text = files["/etc/patroni/config.yml"]
    conf = yaml.safe_load(text)
    dcs = conf["bootstrap"]["dcs"]
    # Durability: synchronous and strict unless the user says otherwise.
    assert dcs["synchronous_mode"] is True and dcs["synchronous_mode_strict"] is True
    assert dcs["synchronous_node_count"] == 1
    assert dcs["ttl"] == 30 and dcs["loop_wait"] == 10 and dcs["retry_timeout"] == 10
    assert dcs["primary_stop_timeout"] == 60
    assert dcs["postgresql"]["parameters"] == {"log_min_duration_statement": "1s", "max_connections": "150"}
    for user in ("superuser", "replication", "rewind"):
        assert conf["postgresql"]["authentication"][user]["sslmode"] == "verify-full"
    assert conf["postgresql"]["authentication"]["superuser"]["password"] == PASSWORD
    assert conf["restapi"]["verify_client"] == "required"
    assert conf["etcd3"]["protocol"] == "https" and conf["etcd3"]["hosts"] == ["10.215.0.11:2379"]
    assert conf["watchdog"]["mode"] == "automatic"
    hba = conf["postgresql"]["pg_hba"]
    assert "hostssl replication replicator 127.0.0.1/32 scram-sha-256" in hba
    assert "hostssl all all 10.215.0.0/24 scram-sha-256" in hba
    assert not [line for line in hba if line.startswith("host ") or " trust" in line or " md5" in line]
    # postgres refuses a key it does not own with mode 0600.
    key = entries(docs["postgres"])["/etc/patroni/tls/server.key"]
    assert (key["owner"], key["permissions"]) == ("postgres:postgres", "0600")
    # Patroni's etcd client certificate must have no CN (etcd 3.4 gateway + auth).
    cert = tmp_path / "etcd-client.crt"
    cert.write_text(files["/etc/patroni/tls/etcd-client.crt"])
    subject = subprocess.run(["openssl", "x509", "-noout", "-subject", "-in", str(cert)],
                             capture_output=True, text=True, check=True).stdout
    assert "CN" not in subject
    # Patroni's own validator: only the port checks may fail, since these addresses are not on this host.
    path = tmp_path / "patroni.yml"
    path.write_text(text)
    result = subprocess.run(["/usr/bin/python3", "/usr/bin/patroni", "--validate-config", str(path)],
                            capture_output=True, text=True)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if line.strip() and "is already in use" not in line]
    assert not problems, problems


def test_haproxy_configuration(rendered, tmp_path):
    _, _, docs = rendered
    files = docs["lb"]["files"]
    cfg = files["/etc/haproxy/haproxy.cfg"]
    assert "server postgres-1 10.215.0.21:5432 check port 8008 verifyhost postgres-1" in cfg
    assert "http-check send meth OPTIONS uri /primary" in cfg
    assert "verify required" in cfg and "timeout client 10m" in cfg
    # The read-only ports the example asks for: replicas within 16 MiB, and the synchronous standby.
    assert "bind :5433" in cfg and "http-check send meth OPTIONS uri /replica?lag=16777216" in cfg
    assert "bind :5434" in cfg and "http-check send meth OPTIONS uri /sync\n" in cfg
    # The Prometheus endpoint, on the advertised address only.
    assert re.search(r"frontend metrics\n    mode http\n    bind 10\.215\.0\.\d+:8405\n", cfg), cfg
    # haproxy -c reads the certificates too: map /etc/haproxy to the extracted files.
    for path, content in files.items():
        local = tmp_path / path.lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(content)
    mapped = tmp_path / "haproxy-check.cfg"
    mapped.write_text(cfg.replace("/etc/haproxy/", f"{tmp_path}/etc/haproxy/"))
    result = subprocess.run(["haproxy", "-c", "-f", str(mapped)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


BAD = """
terraform {
  required_providers {
    pgha = { source = "registry.terraform.io/pgha/pgha" }
  }
}
data "pgha_postgres_node_cloud_init" "p" {
  name = "pg-1"
  network_interface {
    ip            = "10.0.0.5"
    prefix_length = 24
  }
  postgres {
    superuser_password  = "x"
    replicator_password = "x"
    ca_cert             = file("ca.pem")
    server_cert         = file("ca.pem")
    server_key          = file("key.pem")
  }
  etcd {
    endpoints   = ["10.0.0.1"]
    ca_cert     = file("ca.pem")
    client_cert = file("ca.pem")
    client_key  = file("key.pem")
  }
  patroni {
    ttl                    = 20
    loop_wait              = 10
    retry_timeout          = 10
    synchronous_node_count = 3
    cluster_size           = 3
  }
  restore {
    stanza      = "main"
    target_time = "2026-12-04 05:30:00"
  }
}
data "pgha_etcd_member_cloud_init" "e" {
  name = "etcd-1"
  network_interface {
    ip            = "10.0.0.2"
    prefix_length = 24
  }
  cluster {
    is_initializing = true
    initial_token   = "t"
    initial_members = [{ name = "etcd-1", ip = "10.0.0.2" }, { name = "etcd-1", ip = "10.0.0.3" }]
  }
  authentication_bootstrap {
    bootstrap = true
    users = [
      { name = "root", password = "x", key_prefix = "/" },
      { name = "patroni", password = "two words", key_prefix = "/service/" },
      { name = "patroni", password = "x", key_prefix = "/service/" },
    ]
  }
  tls {
    ca_cert     = file("ca.pem")
    server_cert = file("ca.pem")
    server_key  = file("key.pem")
  }
}
data "pgha_haproxy_lb_cloud_init" "lb" {
  name = "lb-1"
  network_interface {
    ip            = "10.0.0.9"
    prefix_length = 24
  }
  haproxy {
    postgres_nodes      = [{ name = "pg-1", ip = "10.0.0.5" }]
    postgres_domain     = "pg.internal"
    patroni_ca_cert     = file("ca.pem")
    patroni_client_cert = file("ca.pem")
    patroni_client_key  = file("key.pem")
    replica_port        = 5432
    timeouts {
      idle = "ten minutes"
    }
  }
}
data "pgha_backup_repository_cloud_init" "backups" {
  name = "backup-1"
  network_interface {
    ip            = "10.0.0.40"
    prefix_length = 24
  }
  repository {
    ca_cert     = file("ca.pem")
    server_cert = file("ca.pem")
    server_key  = file("key.pem")
    stanza {
      name           = "main"
      postgres_nodes = [{ name = "pg-1", ip = "10.0.0.5" }]
      client_cns     = ["pg-1"]
    }
    stanza {
      name           = "main"
      postgres_nodes = [{ name = "pg-1", ip = "10.0.0.5" }]
      client_cns     = ["pg-1"]
      full_schedule  = "every sunday; reboot"
    }
  }
}
"""


def test_rules_users_get_wrong_are_caught_at_plan_time(workspace, tmp_path):
    ws = workspace
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=has-a-cn", "-days", "1", "-keyout", str(ws.dir / "key.pem"),
                    "-out", str(ws.dir / "ca.pem")], check=True, capture_output=True)
    ws.write("main.tf", BAD)
    ws.run("init", "-input=false")
    out = ws.run("plan", "-input=false", expect=1).stderr
    for needle in ("Patroni timings do not fit in the TTL", "Too many synchronous replicas",
                   "Invalid etcd endpoint", "Certificate must not have a common name",
                   "Give exactly one of `postgres_nodes`, `postgres_domain`", "Invalid timeout",
                   "Duplicate name in cluster.initial_members",
                   "root is created already", "Password holds whitespace",
                   "Duplicate name in authentication_bootstrap.users",
                   # The etcd member names neither peer_allowed_cn nor peer_allowed_hostname.
                   "Invalid combination in tls", "Give exactly one of `peer_allowed_cn`, `peer_allowed_hostname`",
                   "replica_port is the leader's port 5432",
                   "Duplicate stanza", "Invalid schedule",
                   "A restore needs the backup block", "no time zone"):
        assert needle in out, f"missing diagnostic {needle!r} in:\n{out}"
    # Terraform points at the attribute: its source line appears with the diagnostic.
    assert "ttl                    = 20" in out
    assert 'idle = "ten minutes"' in out
    assert "replica_port        = 5432" in out
    assert 'full_schedule  = "every sunday; reboot"' in out
    assert 'target_time = "2026-12-04 05:30:00"' in out
