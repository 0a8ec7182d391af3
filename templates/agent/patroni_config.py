# pgha's Patroni dynamic configuration, run inside a Patroni node's guest
# through the QEMU guest agent. The settings pgha renders under
# bootstrap.dcs (ttl, loop_wait, retry_timeout, synchronous settings,
# PostgreSQL parameters...) apply only when a cluster bootstraps; afterwards
# they live in the DCS and change through Patroni's REST API. The node's own
# API is asked, with its own certificate (basic auth, when configured, read
# from the node's file). Commands (argv[1]); each prints one JSON object:
#   sync           PATCH /config with what differs from /etc/patroni/config.yml
#                  -> {"patched": [KEYS]}
#   pending        wait up to argv[2] s for Patroni to evaluate the change
#                  -> {"pending_restart": BOOL, "role": ROLE}
#   restart        POST /restart {"restart_pending": true}, wait until running
#                  -> {"restarted": BOOL}
#   reloaded       after a reload, wait up to argv[2] s until PostgreSQL and the
#                  REST API serve the certificates on disk -> {"reloaded": BOOL}
# or {"error": TEXT}.
import base64
import json
import ssl
import sys
import time
import urllib.error
import urllib.request

import yaml

CONF = REST = CONTEXT = URL = None
HEADERS = {"Content-Type": "application/json"}


def load():
    """The node's Patroni configuration and a TLS context with its own REST certificate."""
    global CONF, REST, CONTEXT, URL
    with open("/etc/patroni/config.yml") as f:
        CONF = yaml.safe_load(f)
    REST = CONF["restapi"]
    CONTEXT = ssl.create_default_context(cafile=REST["cafile"])
    CONTEXT.load_cert_chain(REST["certfile"], REST["keyfile"])
    URL = "https://%s" % REST["connect_address"]
    auth = REST.get("authentication")
    if isinstance(auth, dict) and auth.get("username"):
        HEADERS["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % (auth["username"], auth["password"])).encode()).decode()


def call(method, path, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(URL + path, data=data, method=method, headers=HEADERS)
    try:
        with urllib.request.urlopen(request, context=CONTEXT, timeout=timeout) as r:
            text = r.read().decode(errors="replace")
            return r.status, text
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def diff(want, have):
    """A JSON merge patch turning `have` into `want` for the keys pgha manages."""
    patch = {}
    for key, value in want.items():
        if isinstance(value, dict):
            sub = diff(value, have.get(key) if isinstance(have.get(key), dict) else {})
            # Parameters pgha no longer renders go back to their defaults.
            if key == "parameters" and isinstance(have.get(key), dict):
                sub.update({k: None for k in have[key] if k not in value})
            if sub:
                patch[key] = sub
        elif have.get(key) != value and str(have.get(key)) != str(value):
            patch[key] = value
    return patch


def sync():
    want = CONF.get("bootstrap", {}).get("dcs", {})
    for _ in range(10):
        status, text = call("GET", "/config")
        if status != 200:
            return {"error": "GET /config answered %d: %s" % (status, text[:300])}
        patch = diff(want, json.loads(text))
        if not patch:
            return {"patched": []}
        status, text = call("PATCH", "/config", patch)
        if status == 200:
            return {"patched": sorted(patch)}
        if status != 409:  # 409: another member changed it at the same moment; read again
            return {"error": "PATCH /config answered %d: %s" % (status, text[:300])}
        time.sleep(0.5)
    return {"error": "PATCH /config kept conflicting"}


def pending(wait):
    # Patroni compares the new parameters with the running server on its next HA loop.
    deadline = time.monotonic() + wait
    while True:
        status, text = call("GET", "/patroni")
        me = json.loads(text) if status == 200 else {}
        if me.get("pending_restart") or time.monotonic() > deadline:
            return {"pending_restart": bool(me.get("pending_restart")), "role": me.get("role")}
        time.sleep(1)


def restart():
    # 503 while the node is busy (a demotion after a switchover still finishing): ask again. A
    # demoted leader restarted as a replica already applied its settings: nothing left to do.
    deadline = time.monotonic() + 120
    while True:
        status, text = call("GET", "/patroni")
        me = json.loads(text) if status == 200 else {}
        if me.get("state") == "running" and not me.get("pending_restart"):
            return {"restarted": False}
        status, text = call("POST", "/restart", {"restart_pending": True}, timeout=300)
        if status == 200 or status != 503 or time.monotonic() > deadline:
            break
        time.sleep(2)
    if status != 200:
        return {"error": "POST /restart answered %d: %s" % (status, text[:300])}
    for _ in range(300):
        status, text = call("GET", "/patroni")
        if status == 200 and json.loads(text).get("state") == "running":
            return {"restarted": True}
        time.sleep(1)
    return {"error": "PostgreSQL did not come back after its restart"}


def served(host, port, postgres):
    """The DER certificate served at host:port (PostgreSQL after its SSLRequest)."""
    import socket
    import struct
    context = ssl.create_default_context(cafile=REST["cafile"])
    context.check_hostname = False  # which certificate is served, not whom it names
    context.load_cert_chain(REST["certfile"], REST["keyfile"])
    with socket.create_connection((host, port), timeout=5) as raw:
        if postgres:
            raw.sendall(struct.pack("!II", 8, 80877103))
            if raw.recv(1) != b"S":
                return None
        with context.wrap_socket(raw) as tls:
            return tls.getpeercert(binary_form=True)


def on_disk(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n")


def reloaded(wait):
    # Patroni acts on a reload at its next loop (up to loop_wait later); the PostgreSQL reload it
    # sends makes the server read its TLS files again.
    pg = CONF["postgresql"]
    host = pg["connect_address"].rsplit(":", 1)[0].strip("[]")
    port = int(pg["connect_address"].rsplit(":", 1)[1])
    rest_host, rest_port = REST["connect_address"].rsplit(":", 1)
    want_pg = on_disk(pg["parameters"]["ssl_cert_file"])
    want_rest = on_disk(REST["certfile"])
    deadline = time.monotonic() + wait
    while True:
        try:
            if served(host, port, True) == want_pg and served(rest_host.strip("[]"), int(rest_port), False) == want_rest:
                return {"reloaded": True}
        except OSError:
            pass
        if time.monotonic() > deadline:
            return {"reloaded": False}
        time.sleep(1)


try:
    load()
    command = sys.argv[1]
    if command == "sync":
        result = sync()
    elif command == "pending":
        result = pending(float(sys.argv[2]) if len(sys.argv) > 2 else 15)
    elif command == "restart":
        result = restart()
    elif command == "reloaded":
        result = reloaded(float(sys.argv[2]) if len(sys.argv) > 2 else 30)
    else:
        result = {"error": "unknown command %s" % command}
except Exception as error:  # noqa: BLE001 - the provider reports it
    result = {"error": "%s: %s" % (type(error).__name__, str(error)[:300])}
print(json.dumps(result))
