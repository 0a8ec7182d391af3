"""pgha_certificate through real Terraform and OpenTofu clients."""
import datetime
import json
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

PROVIDERS = '''
terraform {
  required_providers {
    pgha = { source = "registry.terraform.io/pgha/pgha" }
    tls  = { source = "registry.terraform.io/hashicorp/tls" }
  }
}
'''


def openssl_verify(ca_pem, leaf_pem, extra=()):
    with tempfile.TemporaryDirectory() as d:
        Path(d, "ca.pem").write_text(ca_pem)
        Path(d, "leaf.pem").write_text(leaf_pem)
        return subprocess.run(["openssl", "verify", *extra, "-CAfile", "ca.pem", "leaf.pem"],
                              cwd=d, capture_output=True, text=True)


def openssl_text(pem):
    return subprocess.run(["openssl", "x509", "-noout", "-text"], input=pem,
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.smoke
def test_example_full_lifecycle(workspace):
    """init, validate, plan, apply, plan with no changes, destroy: examples/certificates."""
    ws = workspace
    ws.copy_example("certificates")
    ws.run("init", "-input=false")
    ws.run("validate")
    ws.run("plan", "-detailed-exitcode", "-input=false", expect=2)
    ws.run("apply", "-auto-approve", "-input=false")
    ws.run("plan", "-detailed-exitcode", "-input=false", expect=0)

    state = ws.state()
    certs = {}
    for res in state["resources"]:
        for inst in res["instances"]:
            key = res["name"] + (f'["{inst["index_key"]}"]' if "index_key" in inst else "")
            certs[key] = inst["attributes"]
    assert len(certs) == 9
    ca = certs["ca"]
    assert ca["is_ca"] is True and ca["ca_cert_pem"] == ca["cert_pem"]
    assert "Public-Key: (384 bit)" in openssl_text(ca["cert_pem"])
    for name in ("etcd-1", "postgres-2", "lb-1"):
        leaf = certs[f'server["{name}"]']
        assert leaf["chain_pem"] == leaf["cert_pem"] + ca["cert_pem"]
        result = openssl_verify(ca["cert_pem"], leaf["cert_pem"], ["-purpose", "sslserver"])
        assert result.returncode == 0, result.stdout + result.stderr
        text = openssl_text(leaf["cert_pem"])
        assert f"DNS:{name}" in text and "IP Address:127.0.0.1" in text
        assert "TLS Web Server Authentication, TLS Web Client Authentication" in text
    client = certs["patroni_client"]
    assert "ED25519" in openssl_text(client["cert_pem"])
    assert openssl_verify(ca["cert_pem"], client["cert_pem"], ["-purpose", "sslclient"]).returncode == 0
    # The private key is in state (0600 is Terraform's business) but never in plan output.
    shown = ws.run("plan", "-input=false").stdout
    assert "PRIVATE KEY" not in shown

    ws.run("destroy", "-auto-approve", "-input=false")
    assert ws.state()["resources"] == []


def test_config_errors_point_at_the_attribute(workspace):
    ws = workspace
    ws.write("main.tf", PROVIDERS + '''
resource "pgha_certificate" "bad" {
  common_name   = "x"
  allowed_uses  = ["server_auth"]
  key_algorithm = "DSA_1024"
  ip_addresses  = ["10.0.0.1", "10.0.0.256"]
}
''')
    ws.run("init", "-input=false")
    out = ws.run("validate", expect=1).stderr
    assert "Invalid value for key_algorithm" in out
    assert 'key_algorithm = "DSA_1024"' in out          # Terraform quotes the offending line
    assert "Invalid value for ip_addresses[1]" in out
    assert 'ip_addresses  = ["10.0.0.1", "10.0.0.256"]' in out
    assert "on main.tf line 13" in out


def test_ca_problems_are_reported_at_plan_time(workspace):
    """A CA key that does not match, a CA that is not a CA: known only once the CA exists."""
    ws = workspace
    ws.write("main.tf", PROVIDERS + '''
resource "pgha_certificate" "ca" {
  is_ca        = true
  allowed_uses = ["cert_signing"]
}
resource "pgha_certificate" "other_ca" {
  is_ca        = true
  allowed_uses = ["cert_signing"]
}
resource "pgha_certificate" "leaf" {
  allowed_uses       = ["server_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.other_ca.private_key_pem
}
''')
    ws.run("init", "-input=false")
    ws.run("apply", "-auto-approve", "-target=pgha_certificate.ca", "-target=pgha_certificate.other_ca")
    out = ws.run("plan", "-input=false", expect=1).stderr
    assert "CA private key does not match the CA certificate" in out
    assert "ca_private_key_pem = pgha_certificate.other_ca.private_key_pem" in out
    # Validation runs on destroy too: fix the config before cleaning up.
    ws.write("main.tf", (ws.dir / "main.tf").read_text().replace("other_ca.private_key_pem", "ca.private_key_pem"))
    ws.run("destroy", "-auto-approve")


@pytest.mark.smoke
def test_providers_schema_describes_every_attribute(workspace):
    ws = workspace
    ws.write("main.tf", PROVIDERS + 'resource "pgha_certificate" "c" { allowed_uses = ["server_auth"] }\n')
    ws.run("init", "-input=false")
    schema = json.loads(ws.run("providers", "schema", "-json").stdout)
    pgha = schema["provider_schemas"]["registry.terraform.io/pgha/pgha"]
    assert pgha["provider"]["block"]["description"]
    certificate = pgha["resource_schemas"]["pgha_certificate"]["block"]
    assert certificate["description"]
    missing = [name for name, attr in certificate["attributes"].items() if not attr.get("description")]
    assert not missing, f"undescribed attributes: {missing}"
    assert certificate["attributes"]["ca_private_key_pem"]["sensitive"] is True
    assert certificate["attributes"]["private_key_pem"]["sensitive"] is True
    assert certificate["attributes"]["allowed_uses"]["required"] is True
    assert certificate["attributes"]["cert_pem"]["computed"] is True


@pytest.mark.parametrize("algorithm,bits", [("RSA", "rsa_bits = 2048"), ("ECDSA", 'ecdsa_curve = "P256"')])
def test_hashicorp_tls_ca_signs_a_pgha_certificate(workspace, algorithm, bits):
    """Composition: the real hashicorp/tls provider makes the CA (PKCS#1 or SEC1 key)."""
    ws = workspace
    ws.write("main.tf", PROVIDERS + f'''
resource "tls_private_key" "ca" {{
  algorithm = "{algorithm}"
  {bits}
}}
resource "tls_self_signed_cert" "ca" {{
  key_algorithm         = tls_private_key.ca.algorithm
  private_key_pem       = tls_private_key.ca.private_key_pem
  is_ca_certificate     = true
  validity_period_hours = 24
  allowed_uses          = ["cert_signing", "digital_signature"]
  subject {{
    common_name  = "tls provider CA"
    organization = "pgha tests"
  }}
}}
resource "pgha_certificate" "leaf" {{
  common_name        = "db-1"
  dns_names          = ["db-1.example.internal"]
  ip_addresses       = ["10.0.0.21"]
  allowed_uses       = ["digital_signature", "key_encipherment", "server_auth"]
  ca_cert_pem        = tls_self_signed_cert.ca.cert_pem
  ca_private_key_pem = tls_private_key.ca.private_key_pem
}}
output "ca"   {{ value = tls_self_signed_cert.ca.cert_pem }}
output "leaf" {{ value = pgha_certificate.leaf.cert_pem }}
''')
    ws.run("init", "-input=false")
    ws.run("apply", "-auto-approve", "-input=false")
    ca, leaf = ws.output("ca"), ws.output("leaf")
    result = openssl_verify(ca, leaf, ["-purpose", "sslserver", "-verify_hostname", "db-1.example.internal"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "leaf.pem: OK" in result.stdout
    ws.run("plan", "-detailed-exitcode", "-input=false", expect=0)
    ws.run("destroy", "-auto-approve", "-input=false")


def test_changes_replace_and_a_new_ca_replaces_its_leaves(workspace):
    ws = workspace
    ws.copy_example("certificates")
    ws.run("init", "-input=false")
    ws.run("apply", "-auto-approve", "-input=false")
    main = (ws.dir / "main.tf").read_text()
    # Any input change replaces just that certificate.
    ws.write("main.tf", main.replace('common_name        = "patroni-client"', 'common_name        = "patroni-api"'))
    out = ws.run("plan", "-input=false", expect=0).stdout
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in out
    assert re.search(r"~ common_name\s+= \"patroni-client\" -> \"patroni-api\" # forces replacement", out)
    # A new CA replaces the CA and every certificate it signed.
    ws.write("main.tf", main.replace('common_name           = "pgha example CA"',
                                     'common_name           = "pgha example CA 2"'))
    out = ws.run("plan", "-input=false").stdout
    assert "Plan: 9 to add, 0 to change, 9 to destroy." in out
    ws.write("main.tf", main)
    ws.run("destroy", "-auto-approve", "-input=false")


def test_early_renewal_window_plans_a_replacement(workspace, tmp_path_factory):
    """Time passes in the state: the certificate now expires inside its renewal window.

    The provider's own clock stays real (moving it would also move the AutoMTLS
    certificate out of Terraform's validity window); the stored expiry moves instead.
    """
    ws = workspace
    ws.write("main.tf", PROVIDERS + '''
resource "pgha_certificate" "short" {
  allowed_uses          = ["server_auth"]
  validity_period_hours = 48
  early_renewal_hours   = 24
}
''')
    ws.run("init", "-input=false")
    ws.run("apply", "-auto-approve", "-input=false")
    ws.run("plan", "-detailed-exitcode", "-input=false", expect=0)

    state = json.loads(ws.run("state", "pull").stdout)
    attrs = state["resources"][0]["instances"][0]["attributes"]
    serial = attrs["serial"]
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=23)
    attrs["validity_end_time"] = soon.strftime("%Y-%m-%dT%H:%M:%SZ")
    state["serial"] += 1
    pushed = tmp_path_factory.mktemp("state") / "aged.tfstate"
    pushed.write_text(json.dumps(state))
    ws.run("state", "push", str(pushed))

    out = ws.run("plan", "-detailed-exitcode", "-input=false", expect=2).stdout
    assert re.search(r"ready_for_renewal\s+= true .*-> \(known after apply\) # forces replacement", out), out
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in out
    ws.run("apply", "-auto-approve", "-input=false")
    renewed = ws.state()["resources"][0]["instances"][0]["attributes"]
    assert renewed["serial"] != serial and renewed["ready_for_renewal"] is False
    ws.run("plan", "-detailed-exitcode", "-input=false", expect=0)
    ws.run("destroy", "-auto-approve", "-input=false")


def test_import_is_refused_with_a_reason(workspace):
    ws = workspace
    ws.write("main.tf", PROVIDERS + 'resource "pgha_certificate" "c" { allowed_uses = ["server_auth"] }\n')
    ws.run("init", "-input=false")
    out = ws.run("import", "pgha_certificate.c", "12345", expect=1).stderr
    assert "pgha_certificate cannot be imported" in out


def test_provider_logs_carry_no_secrets(workspace, tmp_path_factory):
    ws = workspace
    ws.copy_example("certificates")
    log = tmp_path_factory.mktemp("log") / "tf.log"
    env = {"TF_LOG": "trace", "TF_LOG_PATH": str(log)}
    ws.run("init", "-input=false")
    ws.run("apply", "-auto-approve", "-input=false", env=env)
    keys = [inst["attributes"]["private_key_pem"]
            for res in ws.state()["resources"] for inst in res["instances"]]
    provider_lines = [line for line in log.read_text().splitlines() if "terraform-provider-pgha" in line]
    assert any('"rpc"' in line or "rpc=" in line for line in provider_lines), "provider logged nothing at trace"
    for key in keys:
        body = key.splitlines()[1]
        assert not any(body in line for line in provider_lines)
    assert not any("PRIVATE KEY" in line for line in provider_lines)
    ws.run("destroy", "-auto-approve", "-input=false")


def test_debug_server_serves_reattached_clients(workspace, provider_binary):
    """`-debug`: one standalone provider serves several commands through TF_REATTACH_PROVIDERS."""
    ws = workspace
    ws.write("main.tf", PROVIDERS + 'resource "pgha_certificate" "c" { allowed_uses = ["server_auth"] }\n')
    debug = subprocess.Popen([provider_binary, "-debug"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True, env=ws.env)
    try:
        reattach = None
        for line in debug.stdout:
            match = re.search(r"TF_REATTACH_PROVIDERS='(.*)'", line)
            if match:
                reattach = match.group(1)
                break
        assert reattach, "no TF_REATTACH_PROVIDERS line"
        assert json.loads(reattach)["registry.terraform.io/pgha/pgha"]["ProtocolVersion"] == 6
        env = {"TF_REATTACH_PROVIDERS": reattach}
        ws.run("init", "-input=false", env=env)
        ws.run("apply", "-auto-approve", "-input=false", env=env)
        ws.run("plan", "-detailed-exitcode", "-input=false", expect=0, env=env)
        ws.run("destroy", "-auto-approve", "-input=false", env=env)
        assert debug.poll() is None, "the debug server must outlive the commands it served"
    finally:
        debug.send_signal(2)  # Ctrl-C ends a debug server
        assert debug.wait(timeout=10) == 0
