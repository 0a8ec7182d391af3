"""Acceptance tests: real Terraform and OpenTofu drive the real provider.

scripts/test sets the environment:
  PGHA_PROVIDER   the provider binary (the ASan build)
  PGHA_CLIENTS    name=path pairs, comma-separated (terraform 1.5.7 and tofu): every test runs with each
  PGHA_SMOKE_CLIENTS  name=path pairs of further clients (any terraform on PATH) that run only the tests
                  marked `smoke`: one lifecycle of each kind of object, enough to catch a client whose
                  protocol handling differs, without repeating the whole suite (CI's time budget)
  PGHA_ASAN_LOGS  where the sanitizers write reports; any report fails the run
"""
import glob
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _clients(variable):
    spec = os.environ.get(variable, "")
    pairs = [item.split("=", 1) for item in spec.split(",") if "=" in item]
    return [(name, path) for name, path in pairs]


CLIENTS = _clients("PGHA_CLIENTS")
SMOKE_CLIENTS = _clients("PGHA_SMOKE_CLIENTS")


def pytest_configure(config):
    config.addinivalue_line("markers", "smoke: also runs with each of PGHA_SMOKE_CLIENTS")


def pytest_generate_tests(metafunc):
    if "client" in metafunc.fixturenames:
        clients = CLIENTS + (SMOKE_CLIENTS if metafunc.definition.get_closest_marker("smoke") else [])
        metafunc.parametrize("client", [path for _, path in clients], ids=[name for name, _ in clients])


@pytest.fixture(scope="session")
def provider_binary():
    path = os.environ.get("PGHA_PROVIDER")
    assert path and os.access(path, os.X_OK), "PGHA_PROVIDER must name the built provider"
    return path


@pytest.fixture(scope="session")
def cli_config(provider_binary, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli")
    rc = subprocess.run([str(ROOT / "scripts" / "cli-config"), str(out), provider_binary],
                        check=True, capture_output=True, text=True)
    return rc.stdout.strip()


MEASUREMENTS = []


@pytest.fixture(scope="session")
def report():
    """Records a measured figure; all of them are printed at the end of the run (and written to
    $PGHA_MEASUREMENTS as JSON when set), so every figure in docs/ comes from a rerunnable test."""
    def add(what, value):
        MEASUREMENTS.append({"what": what, "value": value})
        # Written as they come too: a long on-command run stopped midway keeps what it measured.
        path = os.environ.get("PGHA_MEASUREMENTS")
        if path:
            Path(path).write_text(json.dumps(MEASUREMENTS, indent=2) + "\n")
    return add


def pytest_terminal_summary(terminalreporter):
    if not MEASUREMENTS:
        return
    terminalreporter.section("measurements")
    for m in MEASUREMENTS:
        terminalreporter.write_line(f"{m['what']}: {m['value']}")
    path = os.environ.get("PGHA_MEASUREMENTS")
    if path:
        Path(path).write_text(json.dumps(MEASUREMENTS, indent=2) + "\n")


@pytest.fixture(autouse=True)
def no_sanitizer_reports():
    """Every test fails if the provider it drove reported a memory or UB error."""
    logs = os.environ.get("PGHA_ASAN_LOGS")
    before = set(glob.glob(os.path.join(logs, "*"))) if logs else set()
    yield
    if logs:
        new = sorted(set(glob.glob(os.path.join(logs, "*"))) - before)
        texts = [Path(p).read_text(errors="replace") for p in new]
        # A report names an error; a file with only a suppression summary is not one.
        reports = [_symbolize(t) for t in texts if "ERROR:" in t or "runtime error" in t]
        assert not reports, "sanitizer reports from the provider:\n" + "\n".join(reports)[:20000]


FRAME = re.compile(r"\((/[^()+\s]+)\+(0x[0-9a-f]+)\)")


def _symbolize(report):
    """Names the frames of a report written with symbolize=0.

    scripts/test turns ASan's in-process symbolizer off: go-plugin kills a plugin about two seconds
    after Shutdown, and a report being symbolized at exit was cut after its first line. Here the
    addresses (module+offset) are resolved after the fact; the raw report is kept if that fails.
    """
    symbolizer = shutil.which("llvm-symbolizer")
    if not symbolizer:
        return report

    def name(match):
        module, offset = match.group(1), match.group(2)
        try:
            out = subprocess.run([symbolizer, "--obj", module, "--functions=short", offset],
                                 capture_output=True, text=True, timeout=30).stdout.split("\n")
        except (OSError, subprocess.SubprocessError):
            return match.group(0)
        where = " ".join(out[:2]).strip()
        return f"{where} ({module}+{offset})" if where and not where.startswith("??") else match.group(0)

    return FRAME.sub(name, report)


# Subcommands that take -no-color right after their name.
COLOURED_COMMANDS = {"init", "validate", "plan", "apply", "destroy", "import", "refresh", "console"}


class Workspace:
    """One working directory driven by one client binary."""

    def __init__(self, directory, client, cli_config):
        self.dir = Path(directory)
        self.client = client
        self.env = dict(os.environ)
        self.env.update({
            "TF_CLI_CONFIG_FILE": cli_config,
            "CHECKPOINT_DISABLE": "1",
            "TF_IN_AUTOMATION": "1",
        })
        for key in ("TF_LOG", "TF_LOG_PATH", "TF_LOG_PROVIDER"):
            self.env.pop(key, None)

    def write(self, name, text):
        (self.dir / name).write_text(text)

    def copy_example(self, name):
        # Configuration only: `scripts/up` leaves state and .terraform/ beside the example.
        shutil.copytree(ROOT / "examples" / name, self.dir, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))

    def run(self, *args, expect=0, env=None, wrapper=(), timeout=600):
        full_env = dict(self.env)
        full_env.update(env or {})
        command = [*wrapper, self.client, *args]
        if args[0] in COLOURED_COMMANDS:
            command.insert(len(wrapper) + 2, "-no-color")
        proc = subprocess.run(command, cwd=self.dir, env=full_env, capture_output=True, text=True, timeout=timeout)
        if expect is not None and proc.returncode != expect:
            raise AssertionError(
                f"{' '.join(args)} exited {proc.returncode}, expected {expect}\n"
                f"--- stdout\n{proc.stdout[-8000:]}\n--- stderr\n{proc.stderr[-8000:]}")
        return proc

    def output(self, name):
        proc = self.run("output", "-json", name)
        return json.loads(proc.stdout)

    def state(self):
        path = self.dir / "terraform.tfstate"
        return json.loads(path.read_text()) if path.exists() else None


@pytest.fixture
def workspace(tmp_path, client, cli_config):
    return Workspace(tmp_path, client, cli_config)
