// Writes a small ISO 9660 image with Joliet names, in memory: what a NoCloud
// seed needs (volume label "cidata", files user-data, meta-data,
// network-config in the root). No external mkisofs, no temporary files.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pgha::cloudinit {

struct IsoFile {
  std::string name;  // root-level file name, ASCII, at most 64 characters
  std::string content;
};

// The same inputs always give the same bytes (timestamps are fixed), so the
// image's digest changes only when its content does.
std::string BuildIso(std::string_view volume_id, const std::vector<IsoFile>& files);

// Reads the root-level files back from an image BuildIso wrote, through its
// Joliet directory; `read(offset, length)` fetches bytes of the image (a
// libvirt volume download, for instance). Only the named files are returned.
using ImageReader = std::function<absl::StatusOr<std::string>(uint64_t offset, uint64_t length)>;
absl::StatusOr<std::vector<IsoFile>> ReadIsoFiles(const ImageReader& read, const std::vector<std::string>& names);

}  // namespace pgha::cloudinit
