# pgha's cascade for a planned switchover, run inside a Patroni replica's guest
# through the QEMU guest agent. Before the leader hands over, the replicas other
# than the candidate stream from the candidate (Patroni's `replicatefrom` tag):
# when the candidate is promoted they follow it onto its new timeline at once
# (PostgreSQL's cascading replication), so in strict synchronous mode the new
# leader has a standby to acknowledge its first commit without waiting for
# Patroni's loops to re-point anyone (2 s or more in Patroni 3.0.2).
#   cascade.py follow CANDIDATE WAIT NAMESPACE SCOPE
#                                        tag, reload, wait until CANDIDATE lists this node
#                                        as streaming; on failure the tag goes again. A node
#                                        of another Patroni cluster is left alone.
#   cascade.py clear                     take the tag away (after the switchover; a
#                                        leftover from a killed run goes the same way)
# The configuration file stays what pgha rendered but for that one line. It
# prints one JSON object:
#   {"result": "cascading", "from": NAME, "seconds": S}
#   {"result": "skipped", "reason": TEXT}           nothing done (leader, the candidate itself, ...)
#   {"result": "cleared"} / {"result": "unchanged"}
#   {"result": "failed", "reason": TEXT}            the tag is gone again
import base64
import json
import os
import re
import ssl
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

CONFIG = "/etc/patroni/config.yml"
TAG = re.compile(r"^  replicatefrom:.*\n?", re.MULTILINE)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


class Api:
    """This node's Patroni REST API (and its peers'), with the node's own certificate."""

    def __init__(self, conf):
        rest = conf["restapi"]
        self.context = ssl.create_default_context(cafile=rest["cafile"])
        self.context.load_cert_chain(rest["certfile"], rest["keyfile"])
        self.url = "https://%s" % rest["connect_address"]
        self.headers = {}
        auth = rest.get("authentication")
        if isinstance(auth, dict) and auth.get("username"):
            token = base64.b64encode(("%s:%s" % (auth["username"], auth["password"])).encode()).decode()
            self.headers["Authorization"] = "Basic " + token

    def get(self, url):
        with urllib.request.urlopen(url, context=self.context, timeout=5) as r:
            return json.load(r)

    def reload(self):
        request = urllib.request.Request(self.url + "/reload", data=b"", method="POST", headers=self.headers)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=10) as r:
                r.read()
        except urllib.error.HTTPError as error:
            # 202 is the answer; 503 "reload already scheduled" is as good.
            if error.code not in (202, 503):
                raise


def rewrite(text):
    """Writes the configuration atomically, keeping its owner and mode."""
    st = os.stat(CONFIG)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(CONFIG), prefix=".config.yml.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chown(tmp, st.st_uid, st.st_gid)
        os.chmod(tmp, st.st_mode & 0o7777)
        os.rename(tmp, CONFIG)
    except BaseException:
        os.unlink(tmp)
        raise


def untagged(text):
    return TAG.sub("", text)


def tagged(text, candidate):
    text = untagged(text)
    line = "  replicatefrom: %s\n" % json.dumps(candidate)
    if re.search(r"^tags:[ \t]*\n", text, re.MULTILINE):
        return re.sub(r"^tags:[ \t]*\n", lambda m: m.group(0) + line, text, count=1, flags=re.MULTILINE)
    return text + ("" if text.endswith("\n") else "\n") + "tags:\n" + line


def clear():
    with open(CONFIG) as f:
        text = f.read()
    if untagged(text) == text:
        return {"result": "unchanged"}
    api = Api(yaml.safe_load(text))
    rewrite(untagged(text))
    api.reload()
    return {"result": "cleared"}


def same_cluster(conf, namespace, scope):
    mine = (str(conf.get("namespace") or "/service/").strip("/"), str(conf.get("scope")))
    return mine == (namespace.strip("/"), scope)


def follow(candidate, wait, namespace, scope):
    if not NAME.match(candidate):
        return {"result": "skipped", "reason": "not a member name"}
    with open(CONFIG) as f:
        text = f.read()
    conf = yaml.safe_load(text)
    if not same_cluster(conf, namespace, scope):
        return {"result": "skipped", "reason": "a member of another Patroni cluster"}
    me = conf["name"]
    api = Api(conf)
    cluster = api.get(api.url + "/cluster")
    members = {m["name"]: m for m in cluster.get("members", [])}
    mine = members.get(me, {})
    if me == candidate:
        return {"result": "skipped", "reason": "this node is the candidate"}
    if mine.get("role") in ("leader", "standby_leader"):
        return {"result": "skipped", "reason": "this node leads"}
    target = members.get(candidate)
    if not target or target.get("state") not in ("running", "streaming") or not target.get("api_url"):
        return {"result": "skipped", "reason": "%s does not run" % candidate}

    started = time.monotonic()
    rewrite(tagged(text, candidate))
    try:
        api.reload()
        # Streaming from the candidate: its walsender for this node. Patroni re-points PostgreSQL in
        # the loop after the reload and makes this node's slot on the candidate in the candidate's
        # next loop; until then the walreceiver retries.
        while time.monotonic() - started < wait:
            try:
                status = api.get(target["api_url"])
                if any(r.get("application_name") == me and r.get("state") == "streaming"
                       for r in status.get("replication") or []):
                    return {"result": "cascading", "from": candidate, "seconds": round(time.monotonic() - started, 1)}
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
        reason = "not streaming from %s after %d s" % (candidate, wait)
    except (OSError, ValueError) as error:
        reason = "%s: %s" % (type(error).__name__, str(error)[:300])
    # Back to following the leader.
    with open(CONFIG) as f:
        rewrite(untagged(f.read()))
    try:
        api.reload()
    except (OSError, ValueError):
        pass  # Patroni reads the file again at its next reload or restart
    return {"result": "failed", "reason": reason}


def main(argv):
    if len(argv) == 6 and argv[1] == "follow":
        return follow(argv[2], float(argv[3]), argv[4], argv[5])
    if len(argv) >= 2 and argv[1] == "clear":
        return clear()
    return {"result": "failed", "reason": "usage: cascade.py follow CANDIDATE WAIT NAMESPACE SCOPE | clear"}


try:
    print(json.dumps(main(sys.argv)))
except Exception as error:  # noqa: BLE001 - the provider reports it
    print(json.dumps({"result": "failed", "reason": "%s: %s" % (type(error).__name__, str(error)[:300])}))
