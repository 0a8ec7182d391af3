"""The provider killed at each step of create, update and delete: the next apply converges.

Real terraform drives the real (ASan, crash-point) provider binary against the machine's libvirtd.
PGHA_CRASH_AT names a crash point compiled into the test build (src/base/crash_point.h); when the
provider reaches it, it SIGKILLs itself, exactly as an operator's kill -9 or the OOM killer would.
After each kill, the next `terraform apply` must succeed, the following `plan` must be empty, and
libvirt must hold exactly what the state says: one domain, one seed volume (the one its CD-ROM
names), nothing orphaned. A final destroy must leave no domain and no volume.

One client is enough here (the first: Terraform 1.5.7): what is tested is the provider's
lifecycle, and every client drives it through the same RPCs.
"""
import re

import pytest

from conftest import CLIENTS
from test_etcd_member import (POOL, clean_libvirt, domain_state, libvirt_env, seed_path,  # noqa: F401 (fixtures)
                              tf_vars, virsh)

NAME = "pgha-example-etcd-1"

CREATE_POINTS = ["volume.upload_partial", "create.seed_uploaded", "create.defined", "create.started",
                 "create.finished"]
UPDATE_POINTS = ["update.holding_turn", "volume.upload_partial", "seed.uploaded", "seed.switched"]
REBOOT_POINTS = ["update.stopped_for_restart"]
RESIZE_POINTS = ["update.stopped_for_redefinition"]
DELETE_POINTS = ["delete.stopped", "delete.seed_deleted"]


@pytest.fixture
def first_client_only(client):
    if not CLIENTS or client != CLIENTS[0][1]:
        pytest.skip("the lifecycle is the provider's; one client drives it")


def our_volumes():
    return sorted(line.split()[0] for line in virsh("vol-list", POOL).stdout.splitlines()[2:]
                  if line.split() and line.split()[0].startswith(NAME))


def domains():
    return [n for n in virsh("list", "--all", "--name").stdout.split() if n.startswith(NAME)]


def assert_consistent(ws):
    """libvirt holds exactly what the state says."""
    state = ws.state()
    resources = [r for r in state["resources"] if r["type"] == "pgha_etcd_member"]
    assert len(resources) == 1 and len(resources[0]["instances"]) == 1
    uuid = resources[0]["instances"][0]["attributes"]["id"]
    assert domains() == [NAME]
    assert virsh("domuuid", NAME).stdout.strip() == uuid
    vols = our_volumes()
    assert len(vols) == 1, f"orphaned seed volumes: {vols}"
    assert virsh("vol-path", "--pool", POOL, vols[0]).stdout.strip() == seed_path(NAME)


def assert_nothing_left():
    assert domains() == []
    assert our_volumes() == [], "a seed volume (it holds secrets) outlived its VM"


def crashed(ws, *args, point):
    proc = ws.run(*args, expect=None, env={"PGHA_CRASH_AT": point})
    assert proc.returncode != 0, f"the provider did not reach crash point {point}"
    text = proc.stdout + proc.stderr
    assert re.search(r"plugin|rpc error|unexpected EOF|connection", text, re.I), text[-3000:]


def test_killed_at_every_step_the_next_apply_converges(workspace, libvirt_env, first_client_only):
    ws = workspace
    ws.copy_example("etcd-member")
    ws.run("init", "-input=false")
    v = tf_vars(libvirt_env)

    for point in CREATE_POINTS:
        crashed(ws, "apply", "-auto-approve", "-input=false", *v, point=point)
        ws.run("apply", "-auto-approve", "-input=false", *v)
        ws.run("plan", "-detailed-exitcode", "-input=false", *v, expect=0)
        assert_consistent(ws)
        assert domain_state(NAME) == "running"
        ws.run("destroy", "-auto-approve", "-input=false", *v)
        assert_nothing_left()

    # Killed while waiting for the new VM to be healthy: the next apply adopts the VM it made.
    waiting = tf_vars(libvirt_env, wait_for_healthy="true", create_timeout="10m")
    crashed(ws, "apply", "-auto-approve", "-input=false", *waiting, point="create.waiting_for_health")
    assert NAME in domains()
    ws.run("apply", "-auto-approve", "-input=false", *v)
    ws.run("plan", "-detailed-exitcode", "-input=false", *v, expect=0)
    assert_consistent(ws)

    quota = 1 << 30
    for point in UPDATE_POINTS:
        quota += 1 << 20
        changed = tf_vars(libvirt_env, space_quota=str(quota))
        crashed(ws, "apply", "-auto-approve", "-input=false", *changed, point=point)
        ws.run("apply", "-auto-approve", "-input=false", *changed)
        ws.run("plan", "-detailed-exitcode", "-input=false", *changed, expect=0)
        assert_consistent(ws)
        assert f"quota-backend-bytes: {quota}" in ws.output("user_data")
    for point in REBOOT_POINTS:
        quota += 1 << 20
        changed = tf_vars(libvirt_env, space_quota=str(quota), apply_cloud_init_changes="reboot")
        crashed(ws, "apply", "-auto-approve", "-input=false", *changed, point=point)
        ws.run("apply", "-auto-approve", "-input=false", *changed)
        ws.run("plan", "-detailed-exitcode", "-input=false", *changed, expect=0)
        assert_consistent(ws)
        assert domain_state(NAME) == "running", "a VM the crashed apply was restarting stayed off"
    memory = 256
    for point in RESIZE_POINTS:
        memory += 64
        changed = tf_vars(libvirt_env, space_quota=str(quota), apply_cloud_init_changes="reboot", memory=str(memory))
        crashed(ws, "apply", "-auto-approve", "-input=false", *changed, point=point)
        ws.run("apply", "-auto-approve", "-input=false", *changed)
        ws.run("plan", "-detailed-exitcode", "-input=false", *changed, expect=0)
        assert_consistent(ws)
        assert domain_state(NAME) == "running", "a VM the crashed apply was resizing stayed off"
        assert f"<memory unit='KiB'>{memory * 1024}</memory>" in virsh("dumpxml", NAME).stdout
    final = changed

    for point in DELETE_POINTS:
        crashed(ws, "destroy", "-auto-approve", "-input=false", *final, point=point)
        # The VM is still in the state: the domain outlives its seed, never the other way round.
        assert NAME in domains()
        ws.run("destroy", "-auto-approve", "-input=false", *final)
        assert_nothing_left()
        ws.run("apply", "-auto-approve", "-input=false", *final)
        assert_consistent(ws)
    ws.run("destroy", "-auto-approve", "-input=false", *final)
    assert_nothing_left()
