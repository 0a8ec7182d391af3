# Shared settings for pgha's scripts. Source it; do not run it.
# Build tools (Go-built terraform, tofu, the tls provider) live in a cache
# outside the repository, so they survive clean clones and never reach git.

PGHA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGHA_CACHE=${PGHA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgha}
PGHA_VERSION=$(sed -n 's/^project(pgha VERSION \([0-9.]*\).*/\1/p' "$PGHA_ROOT/CMakeLists.txt")

# Terraform 1.5.7 is the newest release `go install` accepts (later go.mod
# files carry replace directives).
TERRAFORM_VERSION=1.5.7
# The hashicorp/tls provider: the only version the Go module proxy serves
# under its module path (later tags lack the /vN module suffix). Built
# against Terraform 0.12's plugin SDK, it speaks plugin protocol 5.
TLS_PROVIDER_VERSION=1.2.0
TLS_PROVIDER_SDK=github.com/hashicorp/terraform@v0.12.31
# The dmacvicar/libvirt provider users compose pgha with (volumes, networks):
# examples/libvirt-provider and its acceptance test.
LIBVIRT_PROVIDER_VERSION=0.8.3

export GOFLAGS=${GOFLAGS:--buildvcs=false}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

terraform_bin() { echo "$PGHA_CACHE/bin/terraform-$TERRAFORM_VERSION/terraform"; }
tls_provider_bin() { echo "$PGHA_CACHE/bin/tls-$TLS_PROVIDER_VERSION/terraform-provider-tls"; }
libvirt_provider_bin() { echo "$PGHA_CACHE/bin/libvirt-$LIBVIRT_PROVIDER_VERSION/terraform-provider-libvirt"; }

# The newest stable OpenTofu release the module proxy knows; falls back to
# the newest one already built when the proxy cannot be asked.
tofu_version() {
  if [ -n "${TOFU_VERSION:-}" ]; then echo "$TOFU_VERSION"; return; fi
  local v
  v=$(cd /tmp && timeout 60 go list -m -versions github.com/opentofu/opentofu 2>/dev/null |
      tr ' ' '\n' | grep -E '^v[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | tail -n 1)
  if [ -z "$v" ]; then
    v=$(ls "$PGHA_CACHE/bin" 2>/dev/null | sed -n 's/^tofu-//p' | sort -V | tail -n 1)
  fi
  echo "${v#v}"
}
tofu_bin() { echo "$PGHA_CACHE/bin/tofu-$1/tofu"; }

# Each step with the time it started: where CI's minutes go can be read off its log.
log() { printf '==> %s %s\n' "$(date +%T)" "$*" >&2; }
