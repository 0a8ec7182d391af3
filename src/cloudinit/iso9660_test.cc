#include "cloudinit/iso9660.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "support/capture.h"

namespace pgha::cloudinit {
namespace {

using pgha::testing::Capture;

class IsoTest : public ::testing::Test {
 protected:
  std::filesystem::path Write(const std::string& image) {
    auto path = std::filesystem::temp_directory_path() /
                ("pgha-iso-test-" + std::to_string(getpid()) + "-" + std::to_string(counter_++) + ".iso");
    std::ofstream(path, std::ios::binary) << image;
    paths_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const auto& p : paths_) std::filesystem::remove(p);
  }
  std::vector<std::filesystem::path> paths_;
  int counter_ = 0;
};

TEST_F(IsoTest, StandardToolsReadTheSeed) {
  const std::string user_data = "#cloud-config\nhostname: etcd-1\n";
  std::string big(5000, 'x');  // spans three sectors
  std::string image = BuildIso("cidata", {{"user-data", user_data}, {"meta-data", "instance-id: i-1\n"},
                                          {"network-config", big}});
  EXPECT_EQ(image.size() % 2048, 0u);
  auto path = Write(image);
  // The label cloud-init's NoCloud looks for.
  EXPECT_EQ(Capture("blkid -o value -s LABEL " + path.string()), "cidata\n");
  EXPECT_EQ(Capture("blkid -o value -s TYPE " + path.string()), "iso9660\n");
  // Joliet names and contents as a guest kernel would read them.
  EXPECT_EQ(Capture("isoinfo -J -i " + path.string() + " -x /user-data"), user_data);
  EXPECT_EQ(Capture("isoinfo -J -i " + path.string() + " -x /network-config"), big);
  std::string listing = Capture("isoinfo -J -l -i " + path.string());
  EXPECT_NE(listing.find("meta-data"), std::string::npos);
  EXPECT_NE(listing.find("network-config"), std::string::npos);
  // xorriso, a second independent reader, sees the same tree.
  std::string xorriso = Capture("xorriso -indev " + path.string() + " -find / -type f 2>/dev/null");
  EXPECT_NE(xorriso.find("'/user-data'"), std::string::npos) << xorriso;
}

TEST_F(IsoTest, SameInputSameBytes) {
  std::vector<IsoFile> files = {{"user-data", "a"}, {"meta-data", "b"}};
  EXPECT_EQ(BuildIso("cidata", files), BuildIso("cidata", files));
  EXPECT_NE(BuildIso("cidata", files), BuildIso("cidata", {{"user-data", "a2"}, {"meta-data", "b"}}));
}

TEST(IsoReader, ReadsBackTheFilesItWrote) {
  std::string big(300000, 'x');
  const std::string image = BuildIso("cidata", {{"user-data", "#cloud-config\nhostname: a\n"},
                                                {"meta-data", "instance-id: i\n"},
                                                {"network-config", big}});
  int reads = 0;
  ImageReader read = [&](uint64_t offset, uint64_t length) -> absl::StatusOr<std::string> {
    ++reads;
    if (offset + length > image.size()) return absl::OutOfRangeError("past the end");
    return image.substr(offset, length);
  };
  auto files = ReadIsoFiles(read, {"user-data", "network-config"});
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 2u);
  for (const auto& f : *files) {
    EXPECT_EQ(f.content, f.name == "user-data" ? std::string("#cloud-config\nhostname: a\n") : big);
  }
  EXPECT_FALSE(ReadIsoFiles([](uint64_t, uint64_t length) -> absl::StatusOr<std::string> {
                 return std::string(length, '\0');
               }, {"user-data"}).ok());
}

std::string Ucs2(std::string_view ascii) {
  std::string out;
  for (char c : ascii) out += std::string{'\0', c};
  return out;
}

ImageReader ReaderOf(const std::string& image) {
  return [&image](uint64_t offset, uint64_t length) -> absl::StatusOr<std::string> {
    if (offset >= image.size()) return std::string();
    return image.substr(offset, length);  // short at the end, as a truncated volume reads
  };
}

TEST(IsoReader, RefusesAFileCutShortInsteadOfReturningItTruncated) {
  std::string image = BuildIso("cidata", {{"user-data", std::string(10000, 'u')}, {"meta-data", "m"}});
  image.resize(image.size() - 4096);  // the last extent loses its tail
  auto files = ReadIsoFiles(ReaderOf(image), {"user-data", "meta-data"});
  ASSERT_FALSE(files.ok());
  EXPECT_NE(std::string(files.status().message()).find("cut short"), std::string::npos) << files.status();
}

TEST(IsoReader, RefusesAnExtentPastTheVolumeEnd) {
  std::string image = BuildIso("cidata", {{"user-data", "#cloud-config\n"}});
  // The Joliet record of user-data claims 8 MiB: the volume has far fewer sectors.
  const size_t name = image.find(Ucs2("user-data"));
  ASSERT_NE(name, std::string::npos);
  const size_t record = name - 33;
  const uint32_t size = 8 * 1024 * 1024;
  for (int i = 0; i < 4; ++i) image[record + 10 + i] = static_cast<char>((size >> (8 * i)) & 0xff);
  auto files = ReadIsoFiles(ReaderOf(image), {"user-data"});
  ASSERT_FALSE(files.ok());
  EXPECT_NE(std::string(files.status().message()).find("runs past the end"), std::string::npos) << files.status();
}

TEST(IsoReader, ReadsOnlyTheFirstRecordOfAName) {
  std::string image = BuildIso("cidata", {{"meta-data", "first"}, {"user-data", "second"}});
  // Rename meta-data to user-data in the Joliet directory: two records of one name.
  const size_t at = image.find(Ucs2("meta-data"));
  ASSERT_NE(at, std::string::npos);
  image.replace(at, 18, Ucs2("user-data"));
  int reads = 0;
  ImageReader counting = [&](uint64_t offset, uint64_t length) -> absl::StatusOr<std::string> {
    ++reads;
    return image.substr(offset, length);
  };
  auto files = ReadIsoFiles(counting, {"user-data"});
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 1u);
  const int reads_for_one = reads;
  EXPECT_LE(reads_for_one, 5);
}

}  // namespace
}  // namespace pgha::cloudinit
