// The NoCloud ISO reader on any image (a volume a guest or another user may
// have written): files or an error, bounded reads, never past the image.
#include <cstdlib>

#include "cloudinit/iso9660.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string image(reinterpret_cast<const char*>(data), size);
  uint64_t total = 0;
  pgha::cloudinit::ImageReader read = [&](uint64_t offset, uint64_t length) -> absl::StatusOr<std::string> {
    total += length;
    if (total > 64ull * 1024 * 1024) std::abort();  // the reader's own caps must hold
    if (offset >= image.size()) return std::string();
    return image.substr(offset, length);
  };
  auto files = pgha::cloudinit::ReadIsoFiles(read, {"user-data", "meta-data", "network-config"});
  if (files.ok() && files->size() > 3) std::abort();
  return 0;
}
