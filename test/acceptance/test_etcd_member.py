"""pgha_etcd_member through real Terraform/OpenTofu against the machine's libvirtd (qemu driver, TCG).

scripts/test starts libvirtd (scripts/libvirtd) and names it in PGHA_LIBVIRT_URI. The guest has an
empty OS disk here, so it never boots an OS: this tier checks what pgha creates in libvirt and
what it renders; the services themselves are proven in the next tier.
"""
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import CLIENTS

URI = os.environ.get("PGHA_LIBVIRT_URI", "")
POOL = "pgha-test"
NETWORK = "pgha-accept-net"


def virsh(*args, check=True):
    return subprocess.run(["virsh", "-c", URI, *args], capture_output=True, text=True, check=check)


def ensure_isolated_network(name, bridge, host_address):
    """An active libvirt network without <forward> or DNS: guests reach only each other and the host."""
    if virsh("net-info", name, check=False).returncode != 0:
        xml = (f"<network><name>{name}</name><bridge name='{bridge}'/><dns enable='no'/>"
               f"<ip address='{host_address}' prefix='24'/></network>")
        with tempfile.NamedTemporaryFile("w", suffix=".xml") as f:
            f.write(xml)
            f.flush()
            virsh("net-define", f.name)
    if "Active:         yes" not in virsh("net-info", name).stdout:
        virsh("net-start", name)


@pytest.fixture(scope="session")
def libvirt_env():
    assert URI, "PGHA_LIBVIRT_URI is set by scripts/test"
    ensure_isolated_network(NETWORK, "pghaacc0", "10.213.0.1")
    volume = "pgha-accept-os.qcow2"
    if virsh("vol-info", "--pool", POOL, volume, check=False).returncode != 0:
        virsh("vol-create-as", POOL, volume, "16M", "--format", "qcow2")
    key = virsh("vol-key", "--pool", POOL, volume).stdout.strip()
    return {"os_volume_id": key}


def remove_leftovers(prefixes=("pgha-example-", "pgha-acc-")):
    """A failed test must not break the next: its domains and seeds go."""
    for name in virsh("list", "--all", "--name").stdout.split():
        if name.startswith(prefixes):
            virsh("destroy", name, check=False)
            virsh("undefine", name, check=False)
    for volume in seed_volumes():
        if volume.startswith(prefixes):
            virsh("vol-delete", "--pool", POOL, volume, check=False)


@pytest.fixture(autouse=True)
def clean_libvirt():
    if URI:
        remove_leftovers()
    yield
    if URI:
        remove_leftovers()


def tf_vars(env, **extra):
    # The disk has no OS: nothing boots, so nothing to wait for (test_the_health_wait_* sets it).
    values = {"os_volume_id": env["os_volume_id"], "pool": POOL, "network": NETWORK, "shutdown_timeout": "2",
              "wait_for_healthy": "false"}
    values.update(extra)
    out = []
    for k, v in values.items():
        out += ["-var", f"{k}={v}"]
    return out


def domain_state(name):
    proc = virsh("domstate", name, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def seed_volumes():
    return [line.split()[0] for line in virsh("vol-list", POOL).stdout.splitlines()[2:] if "cloud-init" in line]


@pytest.mark.smoke
def test_member_lifecycle_drift_and_clean_destroy(workspace, libvirt_env):
    ws = workspace
    ws.copy_example("etcd-member")
    v = tf_vars(libvirt_env)
    name = "pgha-example-etcd-1"
    ws.run("init", "-input=false")
    ws.run("apply", "-auto-approve", "-input=false", *v)
    assert domain_state(name) == "running"
    assert f"{name}-cloud-init.iso" in seed_volumes()
    ws.run("plan", "-detailed-exitcode", "-input=false", *v, expect=0)

    # What pgha uploaded is what it reports, and Debian's cloud-init accepts it.
    user_data = ws.run("output", "-raw", "user_data").stdout
    with tempfile.TemporaryDirectory() as d:
        ud = Path(d, "user-data")
        ud.write_text(user_data)
        assert subprocess.run(["cloud-init", "schema", "-c", str(ud)], capture_output=True).returncode == 0
        iso = virsh("vol-path", "--pool", POOL, f"{name}-cloud-init.iso").stdout.strip()
        in_iso = subprocess.run(["isoinfo", "-J", "-i", iso, "-x", "/user-data"], capture_output=True, text=True).stdout
        assert in_iso == user_data
    assert "initial-cluster-state: new" in user_data or "pgha.yml" in user_data

    # Drift: stopped behind Terraform's back -> an in-place start.
    virsh("destroy", name)
    out = ws.run("plan", "-input=false", *v).stdout
    assert re.search(r"running\s+= false -> true", out) and "1 to change" in out
    ws.run("apply", "-auto-approve", "-input=false", *v)
    assert domain_state(name) == "running"
    # In place: running = false stops it (forced after shutdown_timeout).
    ws.run("apply", "-auto-approve", "-input=false", *tf_vars(libvirt_env, running="false"))
    assert domain_state(name) == "shut off"
    ws.run("apply", "-auto-approve", "-input=false", *v)

    # Deleted behind Terraform's back -> the next plan creates it again.
    virsh("destroy", name)
    virsh("undefine", name)
    out = ws.run("plan", "-input=false", *v).stdout
    assert "will be created" in out
    ws.run("apply", "-auto-approve", "-input=false", *v)
    assert domain_state(name) == "running"

    ws.run("destroy", "-auto-approve", "-input=false", *v)
    assert domain_state(name) is None
    assert not [v for v in seed_volumes() if v.startswith(name)]
    # The user's OS volume is never touched.
    assert virsh("vol-info", "--pool", POOL, "pgha-accept-os.qcow2", check=False).returncode == 0


def test_member_errors_point_at_attributes(workspace, libvirt_env):
    ws = workspace
    ws.write("main.tf", '''
terraform {
  required_providers {
    pgha = { source = "registry.terraform.io/pgha/pgha" }
  }
}
resource "pgha_etcd_member" "bad" {
  name                   = "etcd-bad"
  volume_id              = "/nonexistent.qcow2"
  cloud_init_volume_pool = "pgha-test"
  network_interface {
    network_name  = "pgha-accept-net"
    ip            = "10.213.0.300"
    prefix_length = 24
    mac           = "not-a-mac"
  }
  cluster {
    is_initializing = true
    initial_token   = "t"
    initial_members = [{ name = "someone-else", ip = "10.213.0.12" }]
  }
  tls {
    ca_cert     = "x"
    server_cert = "x"
    server_key  = "x"
    peer_allowed_cn = "etcd-member"
  }
}
''')
    ws.run("init", "-input=false")
    err = ws.run("validate", expect=1).stderr
    assert "Invalid value for network_interface[0].ip" in err
    assert "Invalid MAC address" in err
    assert "Member missing from initial_members" in err
    assert "Invalid value for tls.ca_cert" in err


def qemu_pid(name):
    return Path(f"/run/libvirt/qemu/{name}.pid").read_text().strip()


def seed_path(name):
    """The seed the domain's definition names (it alternates between two volume names on updates)."""
    xml = virsh("dumpxml", "--inactive", name).stdout
    return re.search(r"<disk type='file' device='cdrom'>.*?<source file='([^']+)'", xml, re.S).group(1)


def seed_file(name, path):
    iso = seed_path(name)
    return subprocess.run(["isoinfo", "-J", "-i", iso, "-x", path], capture_output=True, text=True).stdout


def test_cloud_init_changes_apply_in_place_and_import_takes_the_domain_name(workspace, libvirt_env):
    ws = workspace
    ws.copy_example("etcd-member")
    name = "pgha-example-etcd-1"
    ws.run("init", "-input=false")
    ws.run("apply", "-auto-approve", "-input=false", *tf_vars(libvirt_env))
    uuid = virsh("domuuid", name).stdout.strip()
    pid = qemu_pid(name)
    instance = seed_file(name, "/meta-data")

    # An input that only shapes cloud-init: an in-place update, never a replacement.
    smaller = tf_vars(libvirt_env, space_quota="1073741824")
    out = ws.run("plan", "-input=false", *smaller).stdout
    assert "update in-place" in out and "must be replaced" not in out and "1 to change" in out
    out = ws.run("apply", "-auto-approve", "-input=false", *smaller)
    # live (the default): the disk has no OS, so no guest agent answers; the change waits for the next boot.
    assert "reaches pgha-example-etcd-1 at its next boot" in " ".join((out.stdout + out.stderr).split()), out.stdout
    assert virsh("domuuid", name).stdout.strip() == uuid
    assert "quota-backend-bytes: 1073741824" in seed_file(name, "/user-data")
    assert seed_file(name, "/meta-data") != instance  # a new instance-id: cloud-init applies it at boot
    assert qemu_pid(name) == pid  # the running guest was not restarted
    assert ws.output("user_data") == seed_file(name, "/user-data")
    ws.run("plan", "-detailed-exitcode", "-input=false", *smaller, expect=0)

    # With reboot, pgha restarts the VM (a new qemu process) on the same disks.
    rebooting = tf_vars(libvirt_env, space_quota="2147483648", apply_cloud_init_changes="reboot")
    ws.run("apply", "-auto-approve", "-input=false", *rebooting)
    assert domain_state(name) == "running" and qemu_pid(name) != pid
    assert virsh("domuuid", name).stdout.strip() == uuid

    # Import by domain name: the state comes back from libvirt and pgha's seed.
    ws.run("state", "rm", "pgha_etcd_member.etcd_1")
    out = ws.run("import", "-input=false", *rebooting, "pgha_etcd_member.etcd_1", "nope-no-such-domain", expect=1)
    assert "No libvirt domain is named" in out.stderr
    ws.run("import", "-input=false", *rebooting, "pgha_etcd_member.etcd_1", name)
    out = ws.run("plan", "-input=false", *rebooting).stdout
    # Only the inputs the domain cannot tell are filled in, in place; nothing is replaced.
    assert "must be replaced" not in out and "Plan: 0 to add, 1 to change, 0 to destroy." in out, out
    ws.run("apply", "-auto-approve", "-input=false", *rebooting)
    assert qemu_pid(name) != pid and virsh("domuuid", name).stdout.strip() == uuid
    ws.run("plan", "-detailed-exitcode", "-input=false", *rebooting, expect=0)
    ws.run("destroy", "-auto-approve", "-input=false", *rebooting)
    assert domain_state(name) is None


def test_disk_format_is_pinned_never_probed_from_what_the_guest_wrote(workspace, libvirt_env, tmp_path, client):
    """A guest that writes a qcow2 header naming a host file as its backing store onto its raw data
    disk must not make the next VM on that disk (a replacement) open that host file."""
    if client != CLIENTS[0][1]:
        pytest.skip("the domain XML pgha writes does not depend on the client: the first one drives it")
    ws = workspace
    ws.copy_example("etcd-member")
    name = "pgha-example-etcd-1"
    data = "pgha-acc-data.raw"
    other_data = "pgha-acc-data-2.raw"
    for vol in (data, other_data):
        virsh("vol-delete", "--pool", POOL, vol, check=False)
        virsh("vol-create-as", POOL, vol, "8M", "--format", "raw")
    data_path = virsh("vol-path", "--pool", POOL, data).stdout.strip()
    other_path = virsh("vol-path", "--pool", POOL, other_data).stdout.strip()
    secret = tmp_path / "host-secret"
    secret.write_text("a host file no guest may read\n")
    try:
        v = tf_vars(libvirt_env, data_volume_id=data_path, data_volume_format="raw")
        ws.run("init", "-input=false")
        ws.run("apply", "-auto-approve", "-input=false", *v)
        assert re.search(r"<driver name='qemu' type='raw'/>\s*<source file='" + re.escape(data_path), virsh("dumpxml", name).stdout)

        # What the guest could do to its own disk: a qcow2 header whose backing file is a host path.
        evil = tmp_path / "evil.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(secret), "-F", "raw", str(evil), "8M"],
                       check=True)
        subprocess.run(["dd", f"if={evil}", f"of={data_path}", "conv=notrunc", "status=none"], check=True)
        virsh("pool-refresh", POOL)
        assert "<format type='qcow2'/>" in virsh("vol-dumpxml", "--pool", POOL, data).stdout  # libvirt probes bytes

        # A new size is applied in place: the same domain restarted with its definition, the disk still raw.
        pid = qemu_pid(name)
        bigger = tf_vars(libvirt_env, data_volume_id=data_path, data_volume_format="raw", memory="320")
        out = ws.run("plan", "-input=false", *bigger).stdout
        assert "update in-place" in out and "must be replaced" not in out, out
        def attached_raw(step):
            xml = virsh("dumpxml", name).stdout
            assert "<memory unit='KiB'>327680</memory>" in xml, (step, xml)
            assert re.search(r"<driver name='qemu' type='raw'/>\s*<source file='" + re.escape(data_path), xml), xml
            assert str(secret) not in xml
            assert str(secret) not in Path(f"/proc/{qemu_pid(name)}/cmdline").read_text()

        ws.run("apply", "-auto-approve", "-input=false", *bigger)
        assert qemu_pid(name) != pid, "the new size needs a restart"
        attached_raw("resized")

        # A new disk is also an in-place change: the same domain (same UUID) restarted on it.
        uuid = virsh("domuuid", name).stdout.strip()
        other = tf_vars(libvirt_env, data_volume_id=other_path, data_volume_format="raw", memory="320")
        out = ws.run("plan", "-input=false", *other).stdout
        assert "update in-place" in out and "must be replaced" not in out, out
        pid = qemu_pid(name)
        ws.run("apply", "-auto-approve", "-input=false", *other)
        assert virsh("domuuid", name).stdout.strip() == uuid, "a new disk must not make a new domain"
        assert qemu_pid(name) != pid, "a new disk needs a restart"
        xml = virsh("dumpxml", name).stdout
        assert other_path in xml and data_path not in xml, xml
        assert "cloud-init" in xml, "the seed stays attached"
        ws.run("apply", "-auto-approve", "-input=false", *bigger)
        attached_raw("back on the first disk")
        # And a replacement (-replace) attaches it as raw again.
        ws.run("apply", "-auto-approve", "-input=false", *bigger, "-replace=pgha_etcd_member.etcd_1")
        attached_raw("replaced")
        ws.run("plan", "-detailed-exitcode", "-input=false", *bigger, expect=0)
        ws.run("destroy", "-auto-approve", "-input=false", *bigger)
    finally:
        virsh("vol-delete", "--pool", POOL, data, check=False)
        virsh("vol-delete", "--pool", POOL, other_data, check=False)


def test_provider_uri_names_the_hypervisor(workspace, libvirt_env):
    """The provider-level uri wins over LIBVIRT_DEFAULT_URI, for create, read and destroy."""
    ws = workspace
    ws.copy_example("etcd-member")
    name = "pgha-example-etcd-1"
    # The environment points elsewhere (libvirt's in-memory test driver, which has no such pool):
    # only the provider's own uri can lead pgha to the real daemon.
    elsewhere = {"LIBVIRT_DEFAULT_URI": "test:///default"}
    v = tf_vars(libvirt_env, libvirt_uri=URI)
    ws.run("init", "-input=false")
    ws.run("apply", "-auto-approve", "-input=false", *v, env=elsewhere)
    assert domain_state(name) == "running"
    ws.run("plan", "-detailed-exitcode", "-input=false", *v, env=elsewhere, expect=0)
    # Without it, the environment's hypervisor is used: there the VM does not exist.
    out = ws.run("plan", "-input=false", *tf_vars(libvirt_env), env=elsewhere).stdout
    assert "will be created" in out
    # Import honours a URI given in the id (URI#NAME), wherever the provider points.
    ws.run("state", "rm", "pgha_etcd_member.etcd_1")
    ws.run("import", "-input=false", *tf_vars(libvirt_env), "pgha_etcd_member.etcd_1", f"{URI}#{name}", env=elsewhere)
    member = next(r for r in ws.state()["resources"] if r["type"] == "pgha_etcd_member")
    assert member["instances"][0]["attributes"]["uri"] == URI
    assert member["instances"][0]["attributes"]["id"] == virsh("domuuid", name).stdout.strip()
    ws.run("state", "rm", "pgha_etcd_member.etcd_1")
    ws.run("import", "-input=false", *v, "pgha_etcd_member.etcd_1", name, env=elsewhere)
    # Import cannot know settings that live only in configuration (shutdown_timeout): an apply
    # records them, else the destroy would wait the default 60 s for a guest that has no OS.
    ws.run("apply", "-auto-approve", "-input=false", *v, env=elsewhere)
    ws.run("plan", "-detailed-exitcode", "-input=false", *v, env=elsewhere, expect=0)
    ws.run("destroy", "-auto-approve", "-input=false", *v, env=elsewhere)
    assert domain_state(name) is None


def test_a_member_that_never_becomes_healthy_fails_its_create_in_time_and_stays_in_state(workspace, libvirt_env):
    """The disk has no OS, so no guest agent ever answers: the create waits for health until
    timeouts.create, fails naming the VM and the fix, and the VM stays in state (tainted), so
    nothing leaks and destroy removes it."""
    import json
    import time
    ws = workspace
    ws.copy_example("etcd-member")
    name = "pgha-example-etcd-1"
    v = tf_vars(libvirt_env, wait_for_healthy="true", create_timeout="15s")
    ws.run("init", "-input=false")
    started = time.monotonic()
    out = ws.run("apply", "-auto-approve", "-input=false", *v, expect=1)
    elapsed = time.monotonic() - started
    text = " ".join((out.stdout + out.stderr).split())
    for part in (f"VM {name}", "not healthy after", "never answered", "qemu-guest-agent",
                 "install_dependencies = true", "timeouts.create", "tainted"):
        assert part in text, f"{part!r} missing from:\n{out.stdout}\n{out.stderr}"
    assert elapsed < 120, f"the create took {elapsed:.0f} s with a 15 s timeout"
    assert domain_state(name) == "running"
    member = [r for r in ws.state()["resources"] if r["type"] == "pgha_etcd_member"]
    assert len(member) == 1 and member[0]["instances"][0].get("status") == "tainted", json.dumps(member)[:2000]
    assert member[0]["instances"][0]["attributes"]["healthy"] is False
    ws.run("destroy", "-auto-approve", "-input=false", *v)
    assert domain_state(name) is None
    assert not [s for s in seed_volumes() if s.startswith(name)]
