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
import urllib.request

args = sys.argv[1:]
split = args.index("--")
files, endpoints = args[:split], args[split + 1:]
with open(files[0], "rb") as f:
    body = f.read()
context = ssl.create_default_context(cafile=files[1])
if len(files) == 4:
    context.load_cert_chain(files[2], files[3])
deadline = time.monotonic() + 900
while time.monotonic() < deadline:
    for endpoint in endpoints:
        request = urllib.request.Request(f"https://{endpoint}/v3/auth/authenticate", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, context=context, timeout=5) as response:
                if "token" in json.loads(response.read() or b"{}"):
                    sys.exit(0)
        except Exception:  # not up yet, authentication still off, user not created yet
            pass
    time.sleep(1)
print("pgha-wait-etcd-auth: etcd authentication not on after 15 minutes; starting Patroni anyway", file=sys.stderr)
