# pgha's planned switchover, run inside the Patroni leader's guest through
# the QEMU guest agent before pgha stops, reboots, rebuilds or deletes it.
# It asks this node's own REST API (its own certificate; the allowlist admits
# the node itself; basic auth, when configured, is read from the node's file,
# so no secret leaves the guest) to hand the leader key to the synchronous
# standby, and waits until that node leads. It prints one JSON object:
#   {"result": "switched", "to": NAME, "seconds": S}
#   {"result": "not_leader", "leader": NAME}   nothing to do
#   {"result": "alone"}                        no other member runs: nothing to switch to
#   {"result": "failed", "reason": TEXT}
# `switchover.py plan [LEAVING...]` changes nothing: it names the synchronous
# standby a switchover would hand over to now and the other running replicas
# (which pgha points at it first, templates/agent/cascade.py):
#   {"result": "plan", "candidate": NAME or null, "replicas": [NAME, ...], "scope": S, "namespace": N}
import base64
import json
import ssl
import sys
import time
import urllib.error
import urllib.request

import yaml

PLAN = len(sys.argv) > 1 and sys.argv[1] == "plan"
WAIT = 0 if PLAN else float(sys.argv[1]) if len(sys.argv) > 1 else 90
# Members being deleted by the same apply: never candidates.
LEAVING = set(sys.argv[2:])


def main():
    with open("/etc/patroni/config.yml") as f:
        conf = yaml.safe_load(f)
    rest = conf["restapi"]
    me = conf["name"]
    context = ssl.create_default_context(cafile=rest["cafile"])
    context.load_cert_chain(rest["certfile"], rest["keyfile"])
    url = "https://%s" % rest["connect_address"]
    headers = {}
    auth = rest.get("authentication")
    if isinstance(auth, dict) and auth.get("username"):
        token = base64.b64encode(("%s:%s" % (auth["username"], auth["password"])).encode()).decode()
        headers["Authorization"] = "Basic " + token

    def get(path):
        with urllib.request.urlopen(url + path, context=context, timeout=5) as r:
            return json.load(r)

    def members():
        # Patroni restarts its REST listener when a reload brings a new certificate: a refused
        # connection for a moment is no answer yet.
        until = time.monotonic() + 30
        while True:
            try:
                cluster = get("/cluster")
                break
            except (OSError, ValueError):
                if time.monotonic() > until:
                    raise
                time.sleep(1)
        return {m["name"]: m for m in cluster.get("members", []) if m["name"] not in LEAVING or m["name"] == me}

    started = time.monotonic()
    deadline = started + WAIT
    try:
        cluster = members()
    except (OSError, ValueError) as error:
        # Patroni here does not answer (never started, or broken): it cannot hand anything over.
        # Should it hold the leader key, losing this node is the unplanned failover Patroni covers.
        return {"result": "not_serving", "reason": str(error)[:300]}
    leader = next((n for n, m in cluster.items() if m["role"] == "leader"), None)
    if leader != me:
        return {"result": "not_leader", "leader": leader}
    others = [m for n, m in cluster.items() if n != me and m.get("state") in ("running", "streaming")]
    if not others:
        return {"result": "alone"}
    # Only a streaming synchronous standby may take over: in synchronous mode it holds every
    # acknowledged commit. Wait for one (a standby may be catching up after its own restart).
    while True:
        candidate = next((m["name"] for m in cluster.values() if m["role"] == "sync_standby"
                          and m.get("state") in ("running", "streaming") and isinstance(m.get("lag"), int)), None)
        if PLAN:
            return {"result": "plan", "candidate": candidate,
                    "replicas": sorted(m["name"] for m in others if m["name"] != candidate),
                    "scope": conf.get("scope"), "namespace": conf.get("namespace", "/service/")}
        if candidate or time.monotonic() > deadline:
            break
        time.sleep(1)
        cluster = members()
        # The others went away meanwhile (a whole cluster being destroyed): nothing to hand over to.
        if not [m for n, m in cluster.items() if n != me and m.get("state") in ("running", "streaming")]:
            return {"result": "alone"}
    if not candidate:
        return {"result": "failed", "reason": "no streaming synchronous standby to switch over to"}
    def failed(reason):
        # A whole cluster being destroyed: the candidate went away under us. When no other member
        # runs any more there is nothing to hand over to, and the leader may go.
        while time.monotonic() < deadline + 30:
            try:
                if not [m for n, m in members().items() if n != me and m.get("state") in ("running", "streaming")]:
                    return {"result": "alone"}
            except (OSError, ValueError):
                pass
            time.sleep(1)
        return {"result": "failed", "reason": reason}

    body = json.dumps({"leader": me, "candidate": candidate}).encode()
    request = urllib.request.Request(url + "/switchover", data=body, method="POST",
                                     headers=dict(headers, **{"Content-Type": "application/json"}))
    try:
        with urllib.request.urlopen(request, context=context, timeout=WAIT) as r:
            answer = r.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        answer = error.read().decode(errors="replace")
        # 503 "status unknown": Patroni stopped waiting, the switchover may still complete.
        if error.code != 503:
            return failed("HTTP %d: %s" % (error.code, answer[:300]))
    except OSError as error:
        answer = str(error)
    while time.monotonic() < deadline + 30:
        try:
            cluster = members()
            new = cluster.get(candidate, {})
            if new.get("role") == "leader" and new.get("state") == "running":
                return {"result": "switched", "to": candidate, "seconds": round(time.monotonic() - started, 1)}
        except (OSError, ValueError):
            pass  # our own API restarts its view while PostgreSQL stops here
        time.sleep(0.5)
    return failed("the leader did not move to %s: %s" % (candidate, answer[:300]))


try:
    print(json.dumps(main()))
except Exception as error:  # noqa: BLE001 - the provider reports it
    print(json.dumps({"result": "failed", "reason": "%s: %s" % (type(error).__name__, str(error)[:300])}))
