#!/usr/bin/python3
"""Run by cloud-init before Patroni's first start: waits until etcd authentication is on and
Patroni's etcd user can log in. Patroni 3.0 that starts while etcd still has authentication off
may never log in afterwards (it then reads the cluster as empty and never joins). Usage:
  pgha-wait-etcd-auth CREDENTIALS_JSON CA [CERT KEY] -- ENDPOINT...
The credentials come from a root-only file, never from argv. Gives up after 15 minutes without
failing, so cloud-init still starts Patroni (which then retries by itself)."""
import json
import ssl
import sys
import time
import urllib.error
import urllib.request

args = sys.argv[1:]
split = args.index("--")
files, endpoints = args[:split], args[split + 1:]
with open(files[0], "rb") as f:
    body = f.read()
context = ssl.create_default_context(cafile=files[1])
if len(files) == 4:
    context.load_cert_chain(files[2], files[3])


def refusal(error):
    """What etcd said, in its own words (never the request, which holds the password)."""
    if isinstance(error, urllib.error.HTTPError):
        try:
            return "HTTP %d: %s" % (error.code, json.loads(error.read() or b"{}").get("error", ""))
        except ValueError:
            return "HTTP %d" % error.code
    return str(getattr(error, "reason", error))[:200]


deadline = time.monotonic() + 900
said, said_at = None, 0.0
while time.monotonic() < deadline:
    seen = []
    for endpoint in endpoints:
        request = urllib.request.Request(f"https://{endpoint}/v3/auth/authenticate", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, context=context, timeout=5) as response:
                if "token" in json.loads(response.read() or b"{}"):
                    sys.exit(0)
        except Exception as error:  # not up yet, authentication still off, user not created yet
            seen.append("%s: %s" % (endpoint, refusal(error)))
    # What it waits on goes to cloud-init's output, where pgha's health probe reads it for a
    # diagnostic: when it changes (at most every 10 s), and once a minute.
    now = time.monotonic()
    if seen and now - said_at >= (10 if seen != said else 60):
        print("pgha-wait-etcd-auth: waiting for Patroni's etcd login; " + "; ".join(seen)[:400], file=sys.stderr, flush=True)
        said, said_at = seen, now
    time.sleep(1)
print("pgha-wait-etcd-auth: etcd authentication not on after 15 minutes; starting Patroni anyway", file=sys.stderr)
