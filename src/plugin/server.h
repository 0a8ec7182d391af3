// Runs the provider as a go-plugin server: checks the launch contract,
// binds a private Unix socket, prints the handshake and serves until the host
// shuts us down.
#pragma once

#include <string>

namespace pgha::plugin {

struct ServeOptions {
  // Standalone for debuggers: no cookie needed, plaintext (reattached hosts
  // use no TLS), prints TF_REATTACH_PROVIDERS, stops on Ctrl-C.
  bool debug = false;
  std::string provider_address = "registry.terraform.io/pgha/pgha";
};

// Returns the process exit code.
int Serve(const ServeOptions& options);

}  // namespace pgha::plugin
