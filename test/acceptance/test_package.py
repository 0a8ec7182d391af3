"""pgha installed like a released provider: scripts/package's archive through mirrors, no dev_overrides.

The package is made from $PGHA_RELEASE_PROVIDER (scripts/test points it at the release build, what
users get) or else $PGHA_PROVIDER. Each client then installs it with nothing but a
provider_installation block: from the packed filesystem mirror (init, the lock file's hash, `providers
lock`, apply and destroy of examples/certificates) and from the same tree served as a network mirror
over verified HTTPS.
"""
import base64
import hashlib
import http.server
import json
import os
import re
import ssl
import stat
import subprocess
import shutil
import threading
import zipfile
from functools import partial
from pathlib import Path

import pytest

from conftest import ROOT, Workspace

MIRROR_PATH = Path("registry.terraform.io/pgha/pgha")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    binary = os.environ.get("PGHA_RELEASE_PROVIDER") or os.environ.get("PGHA_PROVIDER")
    assert binary and os.access(binary, os.X_OK), "PGHA_RELEASE_PROVIDER or PGHA_PROVIDER must name a built provider"
    out = tmp_path_factory.mktemp("package")
    subprocess.run([str(ROOT / "scripts" / "package"), binary, str(out)], check=True, capture_output=True, text=True)
    printed = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    version = re.search(r"pgha (\S+) \(plugin protocol 6\)", printed).group(1)
    mirror = out / "mirror"
    hashes = json.loads((mirror / MIRROR_PATH / f"{version}.json").read_text())["archives"]["linux_amd64"]["hashes"]
    return {"dir": out, "version": version, "mirror": mirror, "binary": Path(binary), "hashes": hashes}


def cli_config(directory, body):
    path = Path(directory) / "terraformrc"
    path.write_text(f"provider_installation {{\n{body}\n}}\n")
    return str(path)


def locked_hashes(ws):
    text = (ws.dir / ".terraform.lock.hcl").read_text()
    block = re.search(r'provider "registry\.terraform\.io/pgha/pgha" \{(.*?)\n\}', text, re.S)
    assert block, text
    hashes = set(re.findall(r'"((?:h1|zh):[^"]+)"', block.group(1)))
    return hashes, re.search(r'version\s*=\s*"([^"]+)"', block.group(1)).group(1)


def test_the_archive_is_what_a_registry_serves(package):
    out, version = package["dir"], package["version"]
    stem = f"terraform-provider-pgha_{version}"
    archive = out / f"{stem}_linux_amd64.zip"
    with zipfile.ZipFile(archive) as z:
        [entry] = z.infolist()
        assert entry.filename == f"terraform-provider-pgha_v{version}"
        assert stat.S_IMODE(entry.external_attr >> 16) == 0o755
        assert z.read(entry) == package["binary"].read_bytes()
    manifest = json.loads((out / f"{stem}_manifest.json").read_text())
    assert manifest == {"version": 1, "metadata": {"protocol_versions": ["6.0"]}}
    check = subprocess.run(["sha256sum", "--check", "--strict", f"{stem}_SHA256SUMS"], cwd=out,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = {line.split()[1] for line in (out / f"{stem}_SHA256SUMS").read_text().splitlines()}
    assert listed == {archive.name, f"{stem}_manifest.json"}
    assert (package["mirror"] / MIRROR_PATH / archive.name).read_bytes() == archive.read_bytes()
    assert f"zh:{hashlib.sha256(archive.read_bytes()).hexdigest()}" in package["hashes"]
    index = json.loads((package["mirror"] / MIRROR_PATH / "index.json").read_text())
    assert version in index["versions"]


def test_init_from_a_filesystem_mirror_then_apply_and_destroy(package, client, tmp_path):
    config = cli_config(tmp_path, f'  filesystem_mirror {{\n    path = "{package["mirror"]}"\n  }}')
    work = tmp_path / "work"
    work.mkdir()
    ws = Workspace(work, client, config)
    ws.copy_example("certificates")
    ws.run("init", "-input=false")
    hashes, version = locked_hashes(ws)
    assert version == package["version"]
    h1 = [h for h in package["hashes"] if h.startswith("h1:")]
    assert set(h1) <= hashes, f"lock file {hashes}, mirror {package['hashes']}"
    # What a team does before committing the lock file: hashes for the platforms it runs on.
    ws.run("providers", "lock", f"-fs-mirror={package['mirror']}", "-platform=linux_amd64",
           "registry.terraform.io/pgha/pgha")
    assert set(h1) <= locked_hashes(ws)[0]
    ws.run("apply", "-auto-approve", "-input=false")
    ws.run("plan", "-detailed-exitcode", "-input=false", expect=0)
    ws.run("destroy", "-auto-approve", "-input=false")
    assert not ws.state()["resources"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def https_server(tmp_path):
    """Serves directories over HTTPS with a certificate a throwaway CA signed: serve(dir) -> base URL."""
    pki = tmp_path / "pki"
    pki.mkdir()
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
             "-subj", "/CN=mirror test CA", "-keyout", "ca.key", "-out", "ca.crt", cwd=pki)
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", "server.key", "-out", "server.csr", cwd=pki)
    (pki / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "1", "-extfile", "san.ext", "-out", "server.crt", cwd=pki)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / "server.crt", pki / "server.key")
    servers = []

    def serve(directory):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(directory)))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"https://127.0.0.1:{server.server_address[1]}/"

    serve.ca = pki / "ca.crt"
    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_init_from_a_network_mirror_over_verified_https(package, https_server, client, tmp_path):
    def workspace(name, url):
        work = tmp_path / name
        work.mkdir()
        ws = Workspace(work, client, cli_config(work, f'  network_mirror {{\n    url = "{url}"\n  }}'))
        ws.copy_example("certificates")
        return ws

    url = https_server(package["mirror"])
    ws = workspace("work", url)
    # Without the CA the mirror is not trusted: TLS is verified, not skipped.
    refused = ws.run("init", "-input=false", expect=1, env={"SSL_CERT_FILE": "/dev/null"})
    assert "certificate" in (refused.stdout + refused.stderr).lower()
    trusted = {"SSL_CERT_FILE": str(https_server.ca)}
    ws.run("init", "-input=false", env=trusted)
    hashes, version = locked_hashes(ws)
    assert version == package["version"]
    h1 = [h for h in package["hashes"] if h.startswith("h1:")]
    assert set(h1) <= hashes, f"lock file {hashes}, mirror {package['hashes']}"
    ws.run("validate")

    # The mirror's hashes are checked against the archive: a mirror whose VERSION.json does not
    # match what it serves (a swapped archive) is refused.
    tampered = tmp_path / "tampered"
    shutil.copytree(package["mirror"], tampered)
    listing = tampered / MIRROR_PATH / f"{package['version']}.json"
    doc = json.loads(listing.read_text())
    doc["archives"]["linux_amd64"]["hashes"] = ["h1:" + base64.b64encode(b"\0" * 32).decode()]
    listing.write_text(json.dumps(doc))
    bad = workspace("bad", https_server(tampered)).run("init", "-input=false", expect=1, env=trusted)
    assert "checksum" in (bad.stdout + bad.stderr).lower(), bad.stdout + bad.stderr
