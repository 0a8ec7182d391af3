// The role renderers with arbitrary strings as passwords, keys and
// parameters: each value comes back byte-exactly from the rendered YAML
// (Patroni's config file, then the whole cloud-config around it), or the
// renderer refuses it; nothing is ever pasted into YAML as text.
#include <cstdio>
#include <cstdlib>

#include "cloudinit/documents.h"
#include "fuzz_input.h"
#include "roles/patroni.h"
#include "support/base64.h"
#include "yaml-cpp/yaml.h"

namespace {

const pgha::cloudinit::WriteFile* FileAt(const pgha::roles::RolePieces& pieces, const std::string& path) {
  for (const auto& f : pieces.files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

// Aborts (a finding) naming the check that failed.
void CheckAt(bool ok, int line) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_roles: check at line %d failed\n", line);
  std::abort();
}
#define Check(ok) CheckAt((ok), __LINE__)

// Terraform strings are always valid UTF-8 (cty normalises them): only those reach a renderer.
bool IsUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;  // overlong, too big, surrogate
    i += n;
  }
  return true;
}

std::string FromBase64(const std::string& text) {
  auto decoded = pgha::testing::DecodeBase64(text);
  Check(decoded.has_value());
  return *decoded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = pgha::fuzz::Split(data, size, 6);
  for (const auto& p : parts) {
    if (!IsUtf8(p)) return 0;
  }
  pgha::roles::PatroniNode n;
  n.name = "pg-1";
  n.ip = "10.0.0.21";
  n.client_networks = {"10.0.0.0/24"};
  n.superuser_password = parts[0];
  n.replicator_password = parts[1];
  n.rewind_password = parts[2];
  n.server_key = parts[3];
  n.parameters = {{parts[4], parts[5]}};
  n.etcd_endpoints = {"10.0.0.11:2379"};
  n.etcd_password = parts[1];
  n.rest_username = "api";
  n.rest_password = parts[2];
  auto pieces = pgha::roles::RenderPatroni(n);
  if (!pieces.ok()) return 0;
  const auto* config = FileAt(*pieces, "/etc/patroni/config.yml");
  Check(config != nullptr);
  try {
    YAML::Node doc = YAML::Load(config->content);
    Check(doc["postgresql"]["authentication"]["superuser"]["password"].as<std::string>() == parts[0]);
    Check(doc["postgresql"]["authentication"]["replication"]["password"].as<std::string>() == parts[1]);
    Check(doc["bootstrap"]["dcs"]["postgresql"]["parameters"][parts[4]].as<std::string>() == parts[5]);
    Check(doc["restapi"]["authentication"]["password"].as<std::string>() == parts[2]);
  } catch (const YAML::Exception& e) {
    std::fprintf(stderr, "fuzz_roles: Patroni's config does not parse: %s\n", e.what());
    std::abort();
  }
  // The whole cloud-config carries every file byte for byte.
  pgha::cloudinit::CloudConfig cc;
  cc.hostname = "pg-1";
  cc.write_files = pieces->files;
  const std::string user_data = pgha::cloudinit::RenderUserData(cc);
  try {
    YAML::Node doc = YAML::Load(user_data);
    for (size_t i = 0; i < cc.write_files.size(); ++i) {
      const YAML::Node file = doc["write_files"][i];
      std::string content = file["content"].as<std::string>();
      if (file["encoding"] && file["encoding"].as<std::string>() == "b64") content = FromBase64(content);
      Check(content == cc.write_files[i].content);
    }
  } catch (const YAML::Exception& e) {
    std::fprintf(stderr, "fuzz_roles: the user-data does not parse: %s\n", e.what());
    std::abort();
  }
  return 0;
}
