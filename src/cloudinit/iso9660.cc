#include "cloudinit/iso9660.h"

#include <algorithm>
#include <cstdint>

#include "base/strings.h"

namespace pgha::cloudinit {
namespace {

constexpr size_t kSector = 2048;
// Fixed recording time (2000-01-01 00:00:00 UTC) keeps images reproducible.
constexpr uint8_t kYearsSince1900 = 100;

void Put8(std::string& b, size_t at, uint8_t v) { b[at] = static_cast<char>(v); }
void PutLe16(std::string& b, size_t at, uint16_t v) {
  b[at] = static_cast<char>(v & 0xff);
  b[at + 1] = static_cast<char>(v >> 8);
}
void PutBe16(std::string& b, size_t at, uint16_t v) {
  b[at] = static_cast<char>(v >> 8);
  b[at + 1] = static_cast<char>(v & 0xff);
}
void PutLe32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void PutBe32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * (3 - i))) & 0xff);
}
// ISO 9660 "both-endian" fields: little-endian then big-endian.
void PutBoth16(std::string& b, size_t at, uint16_t v) {
  PutLe16(b, at, v);
  PutBe16(b, at + 2, v);
}
void PutBoth32(std::string& b, size_t at, uint32_t v) {
  PutLe32(b, at, v);
  PutBe32(b, at + 4, v);
}

// A space-padded a-/d-character field (primary descriptor).
void PutText(std::string& b, size_t at, size_t len, std::string_view text) {
  for (size_t i = 0; i < len; ++i) b[at + i] = i < text.size() ? text[i] : ' ';
}
// A UCS-2 big-endian field padded with UCS-2 spaces (Joliet descriptor).
void PutUcs2Text(std::string& b, size_t at, size_t len, std::string_view text) {
  for (size_t i = 0; i + 1 < len; i += 2) {
    char c = i / 2 < text.size() ? text[i / 2] : ' ';
    b[at + i] = 0;
    b[at + i + 1] = c;
  }
}

std::string Ucs2(std::string_view ascii) {
  std::string out;
  for (char c : ascii) {
    out.push_back('\0');
    out.push_back(c);
  }
  return out;
}

// "YYYYMMDDHHMMSScc" + timezone byte, as volume descriptors date things.
void PutLongDate(std::string& b, size_t at) {
  const std::string digits = "2000010100000000";
  for (size_t i = 0; i < 16; ++i) b[at + i] = digits[i];
  b[at + 16] = 0;
}
void PutUnsetDate(std::string& b, size_t at) {
  for (size_t i = 0; i < 16; ++i) b[at + i] = '0';
  b[at + 16] = 0;
}

// One directory record; returns its bytes.
std::string DirectoryRecord(uint32_t extent, uint32_t size, bool directory, std::string_view name) {
  size_t len = 33 + name.size();
  if (len % 2) ++len;  // records have even length
  std::string r(len, '\0');
  Put8(r, 0, static_cast<uint8_t>(len));
  PutBoth32(r, 2, extent);
  PutBoth32(r, 10, size);
  Put8(r, 18, kYearsSince1900);
  Put8(r, 19, 1);  // month
  Put8(r, 20, 1);  // day
  Put8(r, 25, directory ? 2 : 0);
  PutBoth16(r, 28, 1);  // volume sequence number
  Put8(r, 32, static_cast<uint8_t>(name.size()));
  std::copy(name.begin(), name.end(), r.begin() + 33);
  return r;
}

// 8.3 upper-case name with version, as plain ISO 9660 readers see it.
std::string PrimaryName(std::string_view name) {
  std::string base, ext;
  bool in_ext = false;
  for (char c : name) {
    if (c == '.' && !in_ext) {
      in_ext = true;
      continue;
    }
    char d = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    if (!((d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9'))) d = '_';
    (in_ext ? ext : base).push_back(d);
  }
  return base.substr(0, 8) + "." + ext.substr(0, 3) + ";1";
}

void PutVolumeDescriptor(std::string& b, size_t at, bool joliet, std::string_view volume_id, uint32_t total_sectors,
                         uint32_t path_table_size, uint32_t path_l, uint32_t path_m, const std::string& root_record) {
  Put8(b, at, joliet ? 2 : 1);
  PutText(b, at + 1, 5, "CD001");
  Put8(b, at + 6, 1);
  if (joliet) {
    PutUcs2Text(b, at + 8, 32, "LINUX");
    PutUcs2Text(b, at + 40, 32, volume_id);
    // Escape sequence for UCS-2 level 3: this is what makes it Joliet.
    b[at + 88] = '%';
    b[at + 89] = '/';
    b[at + 90] = 'E';
  } else {
    PutText(b, at + 8, 32, "LINUX");
    PutText(b, at + 40, 32, volume_id);
  }
  PutBoth32(b, at + 80, total_sectors);
  PutBoth16(b, at + 120, 1);  // volume set size
  PutBoth16(b, at + 124, 1);  // volume sequence number
  PutBoth16(b, at + 128, kSector);
  PutBoth32(b, at + 132, path_table_size);
  PutLe32(b, at + 140, path_l);
  PutBe32(b, at + 148, path_m);
  std::copy(root_record.begin(), root_record.end(), b.begin() + static_cast<std::ptrdiff_t>(at + 156));
  auto text = [&](size_t off, size_t len, std::string_view s) {
    joliet ? PutUcs2Text(b, at + off, len, s) : PutText(b, at + off, len, s);
  };
  text(190, 128, "");
  text(318, 128, "");
  text(446, 128, "");
  text(574, 128, "PGHA");
  text(702, 37, "");
  text(739, 37, "");
  text(776, 37, "");
  PutLongDate(b, at + 813);
  PutLongDate(b, at + 830);
  PutUnsetDate(b, at + 847);
  PutUnsetDate(b, at + 864);
  Put8(b, at + 881, 1);  // file structure version
}

void PutPathTable(std::string& b, size_t at, uint32_t root_extent, bool big_endian) {
  Put8(b, at, 1);  // name length: the root's name is one 0 byte
  big_endian ? PutBe32(b, at + 2, root_extent) : PutLe32(b, at + 2, root_extent);
  big_endian ? PutBe16(b, at + 6, 1) : PutLe16(b, at + 6, 1);  // parent: itself
}

}  // namespace

std::string BuildIso(std::string_view volume_id, const std::vector<IsoFile>& input) {
  std::vector<IsoFile> files = input;
  std::sort(files.begin(), files.end(), [](const IsoFile& a, const IsoFile& b) { return a.name < b.name; });

  // Sectors: 0-15 system area, 16 primary, 17 Joliet, 18 terminator,
  // 19/20 primary path tables, 21/22 Joliet path tables, 23 primary root,
  // 24 Joliet root, then file data.
  constexpr uint32_t kPrimaryRoot = 23, kJolietRoot = 24, kFirstData = 25;
  std::vector<uint32_t> extents;
  uint32_t next = kFirstData;
  for (const auto& f : files) {
    extents.push_back(next);
    next += static_cast<uint32_t>((f.content.size() + kSector - 1) / kSector);
  }
  const uint32_t total = next;
  std::string image(static_cast<size_t>(total) * kSector, '\0');

  auto build_root = [&](bool joliet, uint32_t self) {
    std::string dir;
    dir += DirectoryRecord(self, kSector, true, std::string(1, '\0'));
    dir += DirectoryRecord(self, kSector, true, std::string(1, '\1'));
    for (size_t i = 0; i < files.size(); ++i) {
      const std::string name = joliet ? Ucs2(files[i].name) : PrimaryName(files[i].name);
      dir += DirectoryRecord(extents[i], static_cast<uint32_t>(files[i].content.size()), false, name);
    }
    return dir;
  };
  const std::string primary_root = build_root(false, kPrimaryRoot);
  const std::string joliet_root = build_root(true, kJolietRoot);
  std::copy(primary_root.begin(), primary_root.end(), image.begin() + kPrimaryRoot * kSector);
  std::copy(joliet_root.begin(), joliet_root.end(), image.begin() + kJolietRoot * kSector);

  constexpr uint32_t kPathTableSize = 10;
  PutVolumeDescriptor(image, 16 * kSector, false, volume_id, total, kPathTableSize, 19, 20,
                      DirectoryRecord(kPrimaryRoot, kSector, true, std::string(1, '\0')));
  PutVolumeDescriptor(image, 17 * kSector, true, volume_id, total, kPathTableSize, 21, 22,
                      DirectoryRecord(kJolietRoot, kSector, true, std::string(1, '\0')));
  Put8(image, 18 * kSector, 255);  // set terminator
  PutText(image, 18 * kSector + 1, 5, "CD001");
  Put8(image, 18 * kSector + 6, 1);
  PutPathTable(image, 19 * kSector, kPrimaryRoot, false);
  PutPathTable(image, 20 * kSector, kPrimaryRoot, true);
  PutPathTable(image, 21 * kSector, kJolietRoot, false);
  PutPathTable(image, 22 * kSector, kJolietRoot, true);

  for (size_t i = 0; i < files.size(); ++i) {
    std::copy(files[i].content.begin(), files[i].content.end(), image.begin() + extents[i] * kSector);
  }
  return image;
}

namespace {

uint32_t GetLe32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}

// Joliet names are UCS-2 big-endian; ours are ASCII, maybe with ";1".
std::string FromUcs2(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) out.push_back(bytes[i + 1]);
  if (auto semi = out.find(';'); semi != std::string::npos) out.resize(semi);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<IsoFile>> ReadIsoFiles(const ImageReader& read, const std::vector<std::string>& names) {
  // Volume descriptors start at sector 16; the Joliet one is a supplementary descriptor (type 2).
  std::string root_record;
  uint64_t volume_bytes = 0;  // from the descriptors: no extent may run past it
  for (uint64_t sector = 16; sector < 32 && root_record.empty(); ++sector) {
    auto vd = read(sector * kSector, kSector);
    if (!vd.ok()) return vd.status();
    if (vd->size() < kSector || vd->substr(1, 5) != "CD001") return absl::InvalidArgumentError("not an ISO 9660 image");
    const uint8_t type = static_cast<uint8_t>((*vd)[0]);
    if (type == 255) break;
    if (type == 1 || type == 2) volume_bytes = std::max<uint64_t>(volume_bytes, uint64_t{GetLe32(*vd, 80)} * kSector);
    if (type == 2) root_record = vd->substr(156, 34);
  }
  if (root_record.empty()) return absl::InvalidArgumentError("the image has no Joliet directory");
  // An extent must lie inside the volume, and be read whole: a short read is damage, not a smaller file.
  auto read_extent = [&](uint32_t lba, uint32_t size, std::string_view what) -> absl::StatusOr<std::string> {
    if (uint64_t{lba} * kSector + size > volume_bytes) {
      return absl::InvalidArgumentError(pgha::StrCat(what, " runs past the end of the image"));
    }
    auto bytes = read(uint64_t{lba} * kSector, size);
    if (!bytes.ok()) return bytes.status();
    if (bytes->size() != size) return absl::InvalidArgumentError(pgha::StrCat(what, " is cut short"));
    return bytes;
  };
  const uint32_t dir_lba = GetLe32(root_record, 2);
  const uint32_t dir_size = GetLe32(root_record, 10);
  if (dir_size > 64 * kSector) return absl::InvalidArgumentError("root directory too large for a cloud-init seed");
  auto dir = read_extent(dir_lba, dir_size, "the root directory");
  if (!dir.ok()) return dir.status();
  constexpr uint64_t kMaxTotal = 32 * 1024 * 1024;
  uint64_t total = 0;
  std::vector<IsoFile> out;
  for (size_t at = 0; at < dir->size();) {
    const uint8_t len = static_cast<uint8_t>((*dir)[at]);
    if (len == 0) {  // records do not cross sectors: skip to the next one
      at = (at / kSector + 1) * kSector;
      continue;
    }
    if (at + len > dir->size() || len < 34) return absl::InvalidArgumentError("damaged directory record");
    const uint8_t name_len = static_cast<uint8_t>((*dir)[at + 32]);
    const std::string_view record(dir->data() + at, len);
    if (name_len > 1 && 33u + name_len <= len) {
      const std::string name = FromUcs2(record.substr(33, name_len));
      const bool wanted = std::find(names.begin(), names.end(), name) != names.end();
      const bool seen = std::any_of(out.begin(), out.end(), [&](const IsoFile& f) { return f.name == name; });
      if (wanted && !seen) {  // the first record of a name counts; repeats are not read again
        const uint32_t lba = GetLe32(record, 2);
        const uint32_t size = GetLe32(record, 10);
        if (size > 16 * 1024 * 1024) return absl::InvalidArgumentError(name + " is too large for a seed file");
        total += size;
        if (total > kMaxTotal) return absl::InvalidArgumentError("the seed's files are too large together");
        auto content = read_extent(lba, size, name);
        if (!content.ok()) return content.status();
        out.push_back({name, *std::move(content)});
        if (out.size() == names.size()) break;
      }
    }
    at += len;
  }
  return out;
}

}  // namespace pgha::cloudinit
