// Writes a small ISO 9660 image with Joliet names, in memory: what a NoCloud
// seed needs (volume label "cidata", files user-data, meta-data,
// network-config in the root). No external mkisofs, no temporary files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pgha::cloudinit {

struct IsoFile {
  std::string name;  // root-level file name, ASCII, at most 64 characters
  std::string content;
};

// The same inputs always give the same bytes (timestamps are fixed), so the
// image's digest changes only when its content does.
std::string BuildIso(std::string_view volume_id, const std::vector<IsoFile>& files);

}  // namespace pgha::cloudinit
