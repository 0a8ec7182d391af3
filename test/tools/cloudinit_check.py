#!/usr/bin/python3
"""Reads NoCloud documents the way Debian's cloud-init does and prints what it understood.

  cloudinit_check.py user-data FILE       -> JSON: {"valid": bool, "errors": str, "files": {path: content}, "runcmd": [...]}
  cloudinit_check.py network-config FILE  -> /etc/network/interfaces as cloud-init's ENI renderer writes it

Runs with Debian's /usr/bin/python3, which has the cloudinit package.
"""
import json
import subprocess
import sys

import yaml
from cloudinit.config import cc_write_files
from cloudinit.net import eni, network_state


def user_data(path):
    schema = subprocess.run(["cloud-init", "schema", "-c", path], capture_output=True, text=True)
    doc = yaml.safe_load(open(path).read())
    files = {}
    for entry in doc.get("write_files", []):
        # The same decoding cc_write_files applies before writing the file.
        kinds = cc_write_files.canonicalize_extraction(entry.get("encoding"))
        content = cc_write_files.extract_contents(entry.get("content", ""), kinds)
        files[entry["path"]] = content.decode() if isinstance(content, bytes) else content
    print(json.dumps({
        "valid": schema.returncode == 0,
        "errors": schema.stdout + schema.stderr,
        "files": files,
        "runcmd": doc.get("runcmd", []),
        "doc": doc,
    }, default=str))


def network_config(path):
    state = network_state.parse_net_config_data(yaml.safe_load(open(path).read()))
    print(eni.Renderer()._render_interfaces(state))


if __name__ == "__main__":
    {"user-data": user_data, "network-config": network_config}[sys.argv[1]](sys.argv[2])
