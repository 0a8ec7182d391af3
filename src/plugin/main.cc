// terraform-provider-pgha: started by Terraform or OpenTofu as a go-plugin.
#include <cstdio>
#include <cstring>
#include <string>

#include "plugin/server.h"

int main(int argc, char** argv) {
  pgha::plugin::ServeOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-debug" || arg == "--debug") {
      options.debug = true;
    } else if (arg.rfind("-address=", 0) == 0 || arg.rfind("--address=", 0) == 0) {
      options.provider_address = arg.substr(arg.find('=') + 1);
    } else if (arg == "-version" || arg == "--version") {
      std::printf("terraform-provider-pgha %s (plugin protocol 6)\n", PGHA_VERSION);
      return 0;
    } else {
      std::fprintf(stderr,
                   "usage: terraform-provider-pgha [-debug [-address=HOST/NAMESPACE/pgha]] [-version]\n"
                   "Terraform and OpenTofu start this program themselves; -debug runs it standalone.\n");
      return 2;
    }
  }
  return pgha::plugin::Serve(options);
}
