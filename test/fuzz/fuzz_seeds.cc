// Writes each fuzz target's seed corpus from what the unit tests use: encoded
// values, type constraints, a NoCloud seed, domain XML, PEM, role inputs.
// scripts/fuzz runs it before the targets, so the corpora need no binary
// files in git and follow the code when formats change.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cloudinit/iso9660.h"
#include "libvirt/domain_spec.h"
#include "pki/key.h"
#include "pki/pem.h"
#include "value/msgpack_codec.h"
#include "value/type.h"
#include "value/value.h"

namespace fs = std::filesystem;
using pgha::value::Type;
using pgha::value::Value;

namespace {

void Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const fs::path root = argv[1];

  // msgpack: the first byte picks the type (see fuzz_msgpack.cc).
  Write(root / "msgpack", "string-list", std::string(1, '\1') +
        pgha::value::EncodeMsgpack(Value::StringList({"a", "b"}), Type::List(Type::String())));
  Write(root / "msgpack", "number-map", std::string(1, '\2') +
        pgha::value::EncodeMsgpack(Value::Map(Type::Number(), {{"x", Value::Int(1)}, {"y", Value::Int(-7)}}),
                                   Type::Map(Type::Number())));
  Write(root / "msgpack", "unknown", std::string(1, '\1') + std::string("\xd4\x00\x00", 3));
  Write(root / "msgpack", "dynamic", std::string(1, '\0') + std::string("\x92\xc4\x08\"string\"\xa2hi", 14));
  // Found by fuzz_msgpack: an unknown inside a dynamic [type, value] pair.
  Write(root / "msgpack", "dynamic-unknown", std::string("\x00\x92\xc4\x08\"number\"\xd5\x7a\x92\x69", 16));

  Write(root / "json_state", "state",
        R"({"name":"pg-1","memory":1024,"running":true,"params":{"work_mem":"64MB"},"ips":["10.0.0.1"],)"
        R"("nic":[{"ip":"10.0.0.2","prefix_length":24}],"extra":null})");

  Write(root / "type", "object", R"(["object",{"a":"string","b":["list",["map","number"]],"c":["tuple",["bool","dynamic"]]}])");
  Write(root / "type", "set", R"(["set","string"])");

  Write(root / "iso", "seed", pgha::cloudinit::BuildIso("cidata", {{"user-data", "#cloud-config\nhostname: a\n"},
                                                                   {"meta-data", "instance-id: i-1\n"},
                                                                   {"network-config", "version: 2\n"}}));

  pgha::libvirt::DomainSpec spec;
  spec.name = "pg-1";
  spec.type = "qemu";
  spec.memory_mib = 1024;
  spec.kernel = "/boot/vmlinuz";
  spec.disks.push_back({pgha::libvirt::DiskSpec::Device::kDisk, "/var/lib/x.qcow2", "qcow2", "vda", "virtio", false});
  spec.interfaces.push_back({pgha::libvirt::InterfaceSpec::Kind::kNetwork, "net", "", "52:54:00:00:00:01"});
  Write(root / "domain_xml", "domain", pgha::libvirt::RenderDomainXml(spec));

  auto key = pgha::pki::GenerateKey(pgha::pki::KeyAlgorithm::kEcdsaP256);
  if (key.ok()) Write(root / "pem", "key", pgha::pki::PrivateKeyToPem(key->get()));

  Write(root / "roles", "plain", std::string("su-pw\x1frepl-pw\x1frw-pw\x1fkey\x1fwork_mem\x1f" "64MB"));
  Write(root / "roles", "awkward", std::string("a: b\x1f\"'\n- x\x1f{}\x1f#c\x1f" "k\x1f|\n  y"));
  return 0;
}
