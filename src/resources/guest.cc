#include "resources/guest.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <openssl/sha.h>

#include "base/strings.h"
#include "resources/cert_checks.h"
#include "roles/host_agents.h"
#include "schema/reader.h"
#include "value/accessors.h"

namespace pgha::resources {
namespace {

using value::Attr;
using value::Diagnostics;
using value::Elements;
using value::GetBool;
using value::GetInt;
using value::GetString;
using value::GetStrings;
using value::Path;
using value::Value;
using schema::Reader;

// SHA-512 crypt. The salt must be deterministic (the user-data is rendered at
// plan time, and the data sources have no state to keep a random one in), so
// it comes from the VM's identity (name and addresses), never from the
// password: a salt computed from the password would let one guess test the
// password and its salt at once, and equal passwords on one host would hash alike.
// 16 characters of 6 bits each, from the raw digest.
std::string HashPassword(const std::string& identity, const std::string& password) {
  static const char* alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const std::string seed = pgha::StrCat("pgha-console-salt/", identity);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), digest);
  std::string salt = "$6$";
  for (size_t i = 0; i < 16; ++i) salt.push_back(alphabet[digest[i] % 64]);
  struct crypt_data data = {};
  const char* hashed = crypt_r(password.c_str(), salt.c_str(), &data);
  return hashed ? std::string(hashed) : "";
}

std::vector<cloudinit::NetworkInterface> Interfaces(const Reader& config) {
  std::vector<cloudinit::NetworkInterface> out;
  const std::string name = config.String("name");
  size_t index = 0;
  for (const Reader& block : InterfaceBlocks(config)) {
    cloudinit::NetworkInterface net;
    net.name = pgha::StrCat("eth", index);
    net.mac = InterfaceMac(block, name, index);
    net.addresses = {pgha::StrCat(block.String("ip"), "/", block.Int("prefix_length"))};
    net.gateway = block.String("gateway");
    net.dns_servers = block.Strings("dns_servers");
    out.push_back(net);
    ++index;
  }
  return out;
}

std::vector<roles::TimeSource> Sources(const Reader& chrony, const std::string& name) {
  std::vector<roles::TimeSource> out;
  for (const Reader& s : chrony.Objects(name)) out.push_back({s.String("url"), s.Strings("options")});
  return out;
}

roles::HostAgents HostAgentsFrom(const Reader& config, const RoleOutput& role) {
  roles::HostAgents agents;
  const Reader chrony = config.Object("chrony");
  if (chrony.Bool("enabled")) {
    roles::Chrony c;
    c.servers = Sources(chrony, "servers");
    c.pools = Sources(chrony, "pools");
    const Reader makestep = chrony.Object("makestep");
    if (makestep.present()) {
      c.makestep_threshold = makestep.NumberText("threshold");
      c.makestep_limit = makestep.Int("limit");
    }
    agents.chrony = c;
  }
  const Reader exporter = config.Object("node_exporter");
  if (exporter.Bool("enabled")) {
    std::string listen = exporter.String("listen_address");
    if (listen.empty()) listen = roles::HostPort(AdvertisedIp(config), 9100);  // never every interface by default
    agents.node_exporter = roles::NodeExporter{listen};
  }
  const Reader fb = config.Object("fluentbit");
  if (fb.Bool("enabled")) {
    roles::FluentBit f;
    f.service_tag = fb.IsSet("service_tag") ? fb.String("service_tag") : role.service;
    f.service_unit = role.unit;
    f.node_exporter_tag = fb.String("node_exporter_tag");
    f.buffer_total_limit_size = fb.String("buffer_total_limit_size");
    const Reader forward = fb.Object("forward");
    if (forward.present()) {
      f.forward = roles::FluentBitForward{forward.String("domain"), forward.Int("port"),
                                          forward.IsSet("hostname") ? forward.String("hostname") : config.String("name"),
                                          forward.String("shared_key"), forward.String("ca_cert")};
    }
    const Reader dynamic = fb.Object("dynamic_config");
    if (dynamic.Bool("enabled")) {
      f.dynamic_config = roles::FluentBitEtcdSource{
          dynamic.String("etcd_key_prefix"), dynamic.Strings("etcd_endpoints"),
          dynamic.String("ca_cert"),         dynamic.String("client_cert"),
          GuestKeyPem(dynamic.String("client_key")), dynamic.String("username"),
          dynamic.String("password")};
    }
    agents.fluentbit = f;
  }
  return agents;
}

void RemoveDuplicates(std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
  }
  items = std::move(out);
}

}  // namespace

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

std::string DerivedMac(const std::string& vm_name, size_t index) {
  std::string h = Sha256Hex(pgha::StrCat(vm_name, "/", index));
  return pgha::StrCat("52:54:00:", h.substr(0, 2), ":", h.substr(2, 2), ":", h.substr(4, 2));
}

std::string InterfaceMac(const Reader& block, const std::string& vm_name, size_t index) {
  std::string mac = block.String("mac");
  return mac.empty() ? DerivedMac(vm_name, index) : mac;
}

std::string DocumentsDigest(const cloudinit::SeedDocuments& seed) {
  return Sha256Hex(seed.user_data + "\n---\n" + seed.network_config);
}

std::vector<Reader> InterfaceBlocks(const Reader& config) {
  std::vector<Reader> out;
  for (const char* kind : {"network_interface", "macvtap_interface"}) {
    if (!config.Has(kind)) continue;  // the data sources have no macvtap
    for (Reader& block : config.Objects(kind)) out.push_back(std::move(block));
  }
  return out;
}

std::string AdvertisedIp(const Reader& config) {
  auto blocks = InterfaceBlocks(config);
  return blocks.empty() ? "" : blocks.front().String("ip");
}

std::string AdvertisedNetwork(const Reader& config) {
  auto blocks = InterfaceBlocks(config);
  if (blocks.empty()) return "";
  return NetworkOf(blocks.front().String("ip"), blocks.front().IsSet("prefix_length") ? blocks.front().Int("prefix_length") : -1);
}

std::string NetworkOf(const std::string& ip, int64_t prefix) {
  const bool v6 = ip.find(':') != std::string::npos;
  unsigned char bytes[16] = {};
  if (prefix < 0 || prefix > (v6 ? 128 : 32) || inet_pton(v6 ? AF_INET6 : AF_INET, ip.c_str(), bytes) != 1) return "";
  const size_t size = v6 ? 16 : 4;
  for (size_t i = 0; i < size; ++i) {
    const int64_t keep = std::clamp<int64_t>(prefix - static_cast<int64_t>(i) * 8, 0, 8);
    bytes[i] &= static_cast<unsigned char>(0xff << (8 - keep));
  }
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, text, sizeof(text));
  return pgha::StrCat(text, "/", prefix);
}

void ValidateGuest(const Reader& reader, Diagnostics& diags) {
  const Value& config = reader.value();
  const Value& fb = Attr(config, "fluentbit");
  const Reader fluentbit = reader.Object("fluentbit");
  if (fluentbit.Bool("enabled")) {
    // pgha installs what it configures from Debian's archive; fluent-bit is not there, so a
    // guest would configure a service that does not exist and forward nothing.
    if (!reader.IsUnknown("install_dependencies") && reader.Bool("install_dependencies")) {
      diags.AddError("fluent-bit cannot be installed from Debian",
                     "fluentbit is enabled, but fluent-bit is not in Debian 12's archive, so install_dependencies "
                     "cannot install it and the logs would go nowhere. Boot an image that has fluent-bit (for "
                     "instance from Fluent's own repository, packages.fluentbit.io) and set "
                     "install_dependencies = false, or leave fluentbit disabled. The guest checks at the end of "
                     "cloud-init that fluent-bit runs, and marks cloud-init failed if it does not.",
                     Path::Of("fluentbit").Attr("enabled"));
    }
    const Value& dynamic = Attr(fb, "dynamic_config");
    const bool dynamic_on = fluentbit.Object("dynamic_config").Bool("enabled");
    // Unknown values (from other resources) are judged at apply time.
    if (fb.GetAttr("forward").IsNull() && !dynamic_on && fb.GetAttr("dynamic_config").IsWhollyKnown()) {
      diags.AddError("Nowhere to send logs",
                     "fluentbit is enabled but has neither a forward destination nor dynamic_config from etcd.",
                     Path::Of("fluentbit"));
    }
    if (dynamic_on) {
      const bool cert = !Attr(dynamic, "client_cert").IsNull();
      const bool key = !Attr(dynamic, "client_key").IsNull();
      const bool user = !Attr(dynamic, "username").IsNull();
      if (cert != key && dynamic.GetAttr("client_cert").IsKnown() && dynamic.GetAttr("client_key").IsKnown()) {
        diags.AddError("Incomplete client certificate", "Give client_cert and client_key together.",
                       Path::Of("fluentbit").Attr("dynamic_config").Attr(cert ? "client_key" : "client_cert"));
      }
      if (!cert && !user && dynamic.GetAttr("client_cert").IsKnown() && dynamic.GetAttr("username").IsKnown()) {
        diags.AddError("No etcd credentials",
                       "dynamic_config needs client_cert and client_key, or username and password, to read from etcd.",
                       Path::Of("fluentbit").Attr("dynamic_config"));
      }
    }
  }
  ErrorUnlessListenAddress(Attr(Attr(config, "node_exporter"), "listen_address"), ":9100 or 10.0.0.5:9100",
                           Path::Of("node_exporter").Attr("listen_address"), diags);
}

void ErrorUnlessListenAddress(const Value& listen, std::string_view example, const Path& path, Diagnostics& diags) {
  if (!listen.IsKnown() || listen.IsNull() || roles::IsListenAddress(listen.AsString())) return;
  diags.AddError("Invalid listen address",
                 pgha::StrCat("\"", listen.AsString(), "\" is not [host]:port, e.g. ", example, "."), path);
}

absl::StatusOr<GuestDocuments> RenderGuest(const Reader& config, const RoleOutput& role,
                                           const std::string& data_device) {
  const std::string name = config.String("name");
  cloudinit::CloudConfig c;
  c.hostname = name;
  cloudinit::User admin;
  admin.name = config.String("ssh_admin_user");
  admin.sudo = "ALL=(ALL) NOPASSWD:ALL";
  admin.groups = {"sudo"};
  if (const std::string key = config.String("ssh_admin_public_key"); !key.empty()) {
    admin.ssh_authorized_keys = {key};
  }
  if (const std::string pw = config.String("admin_user_password"); !pw.empty()) {
    admin.hashed_password = HashPassword(pgha::StrCat(name, "/", AdvertisedIp(config)), pw);
  }
  c.users = {admin};
  c.final_message = pgha::StrCat("pgha: ", name, " configured after $UPTIME seconds");

  auto agents = roles::RenderHostAgents(HostAgentsFrom(config, role));
  if (!agents.ok()) return agents.status();
  // The agents first: time is set before the service starts.
  roles::RolePieces pieces = *agents;
  pieces.Append(role.pieces);
  pieces.data_path = role.pieces.data_path;
  c.write_files = pieces.files;
  c.runcmd = pieces.runcmd;
  // Last, so everything else has run: a fluent-bit that is not running fails cloud-init as a whole
  // (the runcmd script's status is its last command's), with a line on the console.
  if (config.Object("fluentbit").Bool("enabled")) c.runcmd.push_back(roles::FluentBitRunningCheck());
  if (config.Bool("install_dependencies")) {
    // pgha reaches every guest through its QEMU agent (health, live changes).
    // udev starts the agent when its port appears at boot, before the package
    // is in; so the first boot starts it by hand.
    pieces.packages.push_back("qemu-guest-agent");
    c.runcmd.insert(c.runcmd.begin(), {"systemctl", "start", "--no-block", "qemu-guest-agent"});
    c.packages = pieces.packages;
    RemoveDuplicates(c.packages);
  }
  if (!data_device.empty() && !pieces.data_path.empty()) c.data_disk = cloudinit::DataDisk{data_device, pieces.data_path};

  GuestDocuments out;
  out.files = c.write_files;
  out.seed.user_data = cloudinit::RenderUserData(c);
  out.seed.network_config = cloudinit::RenderNetworkConfig(Interfaces(config));
  out.digest = DocumentsDigest(out.seed);
  out.seed.meta_data = cloudinit::RenderMetaData(pgha::StrCat("pgha-", out.digest.substr(0, 16)), name);
  return out;
}

}  // namespace pgha::resources
