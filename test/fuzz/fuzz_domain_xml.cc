// The domain XML reader (import reads XML libvirt returns for any domain).
#include "libvirt/domain_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)pgha::libvirt::ParseDomainXml(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
