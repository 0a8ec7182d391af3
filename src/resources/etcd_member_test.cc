// pgha_etcd_member's own rules, through the resource as the provider calls it.
#include "resources/etcd_member.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pki/certificate.h"
#include "pki/key.h"
#include "pki/pem.h"
#include "resources/registry.h"
#include "resources/resource_test_support.h"
#include "resources/role.h"
#include "schema/reader.h"
#include "roles/etcd.h"
#include "schema/validate.h"
#include "value/json_codec.h"

namespace pgha::resources {
namespace {

class EtcdMemberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalog = schema::Catalog::LoadEmbedded();
    ASSERT_TRUE(catalog.ok());
    catalog_ = std::make_unique<schema::Catalog>(*std::move(catalog));
    auto registry = Registry::Build(*catalog_);
    ASSERT_TRUE(registry.ok());
    registry_ = std::make_unique<Registry>(*std::move(registry));
    resource_ = registry_->Find("pgha_etcd_member");
    ASSERT_NE(resource_, nullptr);
  }

  // The summaries and paths of the errors validation reports for `name` in a
  // new three-member cluster, with `auth` as its authentication_bootstrap block.
  std::vector<std::string> Errors(const std::string& name, const std::string& auth) const {
    const std::string json = R"({"name": ")" + name + R"(", "volume_id": "/v.qcow2", "cloud_init_volume_pool": "p",
      "network_interface": [{"network_name": "n", "ip": "10.0.0.11", "prefix_length": 24}],
      "cluster": {"is_initializing": true, "initial_token": "t", "initial_members": [
        {"name": "etcd-1", "ip": "10.0.0.11"}, {"name": "etcd-2", "ip": "10.0.0.12"}, {"name": "etcd-3", "ip": "10.0.0.13"}]},
      "authentication_bootstrap": )" + auth + "}";
    auto config = value::DecodeJsonText(json, resource_->schema().type);
    EXPECT_TRUE(config.ok()) << config.status();
    value::Diagnostics diags;
    resource_->ValidateConfig(*config, diags);
    std::vector<std::string> out;
    for (const auto& d : diags.items()) {
      if (d.severity == value::Diagnostic::Severity::kError && d.summary.find("tls") == std::string::npos) {
        out.push_back(d.summary + " @ " + (d.path ? d.path->ToString() : ""));
      }
    }
    return out;
  }

  std::unique_ptr<schema::Catalog> catalog_;
  std::unique_ptr<Registry> registry_;
  const Resource* resource_ = nullptr;
};

bool Has(const std::vector<std::string>& errors, const std::string& what) {
  for (const auto& e : errors) {
    if (e.find(what) != std::string::npos) return true;
  }
  return false;
}

TEST_F(EtcdMemberTest, ANewClusterWithoutAuthenticationIsRefusedUnlessChosen) {
  auto errors = Errors("etcd-1", "null");
  EXPECT_TRUE(Has(errors, "No member turns etcd authentication on @ authentication_bootstrap.bootstrap"))
      << ::testing::PrintToString(errors);
  errors = Errors("etcd-1", R"({"bootstrap": false})");
  EXPECT_TRUE(Has(errors, "No member turns etcd authentication on")) << ::testing::PrintToString(errors);
  EXPECT_FALSE(Has(Errors("etcd-1", R"({"bootstrap": true})"), "authentication"));
  EXPECT_FALSE(Has(Errors("etcd-1", R"({"unauthenticated": true})"), "authentication"));
  // The other members leave it to the first.
  EXPECT_FALSE(Has(Errors("etcd-2", "null"), "authentication"));
}

// The plan-time rules of membership: one entry per member, and a joining member never
// bootstraps (it finds a cluster whose authentication is on already).
TEST_F(EtcdMemberTest, AMemberListWithDuplicatesAndAJoiningBootstrapAreRefusedAtTheirPaths) {
  const std::string json = R"({"name": "etcd-4", "volume_id": "/v.qcow2", "cloud_init_volume_pool": "p",
    "network_interface": [{"network_name": "n", "ip": "10.0.0.14", "prefix_length": 24}],
    "cluster": {"is_initializing": false, "initial_token": "t", "initial_members": [
      {"name": "etcd-1", "ip": "10.0.0.11"}, {"name": "etcd-1", "ip": "10.0.0.12"}, {"name": "etcd-3", "ip": "10.0.0.11"},
      {"name": "etcd-4", "ip": "10.0.0.14"}]},
    "authentication_bootstrap": {"bootstrap": true}})";
  auto config = value::DecodeJsonText(json, resource_->schema().type);
  ASSERT_TRUE(config.ok()) << config.status();
  value::Diagnostics diags;
  schema::ValidateConfig(resource_->schema().block, *config, diags);
  resource_->ValidateConfig(*config, diags);
  std::vector<std::string> errors;
  for (const auto& d : diags.items()) errors.push_back(d.summary + " @ " + (d.path ? d.path->ToString() : ""));
  EXPECT_TRUE(Has(errors, "Duplicate name in cluster.initial_members @ cluster.initial_members[1].name"))
      << ::testing::PrintToString(errors);
  EXPECT_TRUE(Has(errors, "Duplicate ip in cluster.initial_members @ cluster.initial_members[2].ip"))
      << ::testing::PrintToString(errors);
  EXPECT_TRUE(Has(errors, "Bootstrap on a new cluster only @ authentication_bootstrap.bootstrap"))
      << ::testing::PrintToString(errors);
}

// The errors of member etcd-1 of a new cluster, with `auth` and `snapshots` as its blocks.
std::vector<std::string> SnapshotErrors(const Resource* resource, const std::string& auth, const std::string& snapshots,
                                        bool initializing = true) {
  const std::string json = std::string(R"({"name": "etcd-1", "volume_id": "/v.qcow2", "cloud_init_volume_pool": "p",
    "network_interface": [{"network_name": "n", "ip": "10.0.0.11", "prefix_length": 24}],
    "cluster": {"is_initializing": )") + (initializing ? "true" : "false") + R"(, "initial_token": "t", "initial_members": [
      {"name": "etcd-1", "ip": "10.0.0.11"}, {"name": "etcd-2", "ip": "10.0.0.12"}]},
    "authentication_bootstrap": )" + auth + R"(, "snapshots": )" + snapshots + "}";
  auto config = value::DecodeJsonText(json, resource->schema().type);
  EXPECT_TRUE(config.ok()) << config.status();
  value::Diagnostics diags;
  resource->ValidateConfig(*config, diags);
  std::vector<std::string> out;
  for (const auto& d : diags.items()) {
    if (d.severity == value::Diagnostic::Severity::kError) out.push_back(d.summary + " @ " + (d.path ? d.path->ToString() : ""));
  }
  return out;
}

std::string Snapshots(const std::string& cluster, const std::string& restore, const std::string& schedule = "hourly") {
  return R"({"repository_name": "backup-1", "repository_address": "10.0.0.40", "repository_port": 8433, "cluster": ")" +
         cluster + R"(", "schedule": ")" + schedule + R"(", "root_cert": "C", "root_key": "K", "restore": )" + restore + "}";
}

TEST_F(EtcdMemberTest, ARestoredClusterIsNewTakesItsUsersFromTheSnapshotAndStoresApart) {
  const std::string restore = R"({"cluster": "old", "snapshot": "20261204T083000Z-r1234.db"})";
  // The first member of a restored cluster bootstraps nothing, and that is not an error.
  EXPECT_EQ(SnapshotErrors(resource_, R"({"bootstrap": false})", Snapshots("new", restore)), std::vector<std::string>{});
  auto errors = SnapshotErrors(resource_, R"({"bootstrap": true})", Snapshots("new", restore));
  EXPECT_TRUE(Has(errors, "A restored cluster's users come from its snapshot @ authentication_bootstrap.bootstrap"))
      << ::testing::PrintToString(errors);
  errors = SnapshotErrors(resource_, "null", Snapshots("new", restore), /*initializing=*/false);
  EXPECT_TRUE(Has(errors, "A restore makes a new cluster @ snapshots.restore")) << ::testing::PrintToString(errors);
  errors = SnapshotErrors(resource_, "null", Snapshots("old", restore));
  EXPECT_TRUE(Has(errors, "The restored cluster would store its snapshots with its source's @ snapshots.cluster"))
      << ::testing::PrintToString(errors);
  errors = SnapshotErrors(resource_, "null", Snapshots("new", R"({"cluster": "old", "snapshot": "latest"})"));
  EXPECT_TRUE(Has(errors, "Invalid snapshot name @ snapshots.restore.snapshot")) << ::testing::PrintToString(errors);
  errors = SnapshotErrors(resource_, R"({"bootstrap": true})", Snapshots("main", "null", "hourly\\nExecStart=x"));
  EXPECT_TRUE(Has(errors, "Invalid snapshot schedule @ snapshots.schedule")) << ::testing::PrintToString(errors);
  EXPECT_EQ(SnapshotErrors(resource_, R"({"bootstrap": true})", Snapshots("main", "null")), std::vector<std::string>{});
}

// Before a restored member's VM is made, its snapshot is looked up on the repository VM. A repository
// that is no domain on this hypervisor cannot be asked: a warning at the name, and nothing refused.
TEST_F(EtcdMemberTest, ARestoreFromARepositoryThatIsNoVmHereIsWarnedAboutNotRefused) {
  const char* uri = std::getenv("PGHA_LIBVIRT_URI");
  if (uri == nullptr || *uri == '\0') GTEST_SKIP() << "PGHA_LIBVIRT_URI unset: run through scripts/test";
  const std::string json = R"({"name": "etcd-1", "volume_id": "/v.qcow2", "cloud_init_volume_pool": "p",
    "snapshots": {"repository_name": "pgha-unit-no-such-repository", "repository_address": "10.0.0.40",
      "repository_port": 8433, "cluster": "new", "schedule": "hourly", "root_cert": "C", "root_key": "K",
      "restore": {"cluster": "old", "snapshot": "20261204T083000Z-r1234.db"}}})";
  auto config = value::DecodeJsonText(json, resource_->schema().type);
  ASSERT_TRUE(config.ok()) << config.status();
  value::Diagnostics diags;
  EtcdRole()->Preflight(schema::Reader(resource_->schema().block, *config), uri, 0, [] { return false; }, diags);
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].severity, value::Diagnostic::Severity::kWarning);
  EXPECT_EQ(diags.items()[0].summary, "The snapshot was not checked");
  EXPECT_EQ(diags.items()[0].path->ToString(), "snapshots.repository_name");
}

TEST_F(EtcdMemberTest, OnlyTheFirstMemberBootstraps) {
  EXPECT_TRUE(Has(Errors("etcd-2", R"({"bootstrap": true})"), "Only the first member bootstraps authentication"));
  EXPECT_TRUE(Has(Errors("etcd-1", R"({"bootstrap": true, "unauthenticated": true})"),
                  "Conflicting authentication settings @ authentication_bootstrap.unauthenticated"));
}

}  // namespace
}  // namespace pgha::resources

namespace pgha::resources {
namespace {

// Numbers that reach libvirt or OpenSSL are bounded at validate time, at their path:
// shutdown_timeout = 1e10 used to overflow the wait in the sanitizer build and force the VM off
// at once in release.
TEST_F(EtcdMemberTest, NumbersOutOfRangeAreRefusedAtTheirPath) {
  for (const auto& [attr, bad] : std::vector<std::pair<std::string, std::string>>{
           {"shutdown_timeout", "1e10"}, {"memory", "1e12"}, {"vcpus", "100000"}}) {
    const std::string json = R"({"name": "etcd-1", "volume_id": "/v.qcow2", "cloud_init_volume_pool": "p", ")" +
                             attr + "\": " + bad + "}";
    auto config = value::DecodeJsonText(json, resource_->schema().type);
    ASSERT_TRUE(config.ok()) << config.status();
    value::Diagnostics diags;
    schema::ValidateConfig(resource_->schema().block, *config, diags);
    bool found = false;
    for (const auto& d : diags.items()) found |= d.path && d.path->ToString() == attr && d.summary.find("Invalid value") == 0;
    EXPECT_TRUE(found) << attr << " = " << bad << " passed validation";
  }
}

}  // namespace
}  // namespace pgha::resources

namespace pgha::resources {
namespace {

// A self-signed certificate named `cn` with `dns` as its only DNS SAN, and its key.
std::pair<std::string, std::string> Certificate(const std::string& cn, const std::string& dns) {
  auto key = pki::GenerateKey(pki::KeyAlgorithm::kEcdsaP256);
  EXPECT_TRUE(key.ok());
  pki::CertificateRequest request;
  request.common_name = cn;
  request.dns_names = {dns};
  request.ip_addresses = {"10.0.0.11", "127.0.0.1"};
  request.allowed_uses = {"server_auth", "client_auth"};
  request.validity_hours = 24;
  auto issued = pki::IssueCertificate(request, key->get(), nullptr, key->get());
  EXPECT_TRUE(issued.ok()) << issued.status();
  return {pki::CertificateToPem(issued->cert.get()), pki::PrivateKeyToPem(key->get())};
}

// The peer port admits one name; the member's own certificate must carry it, and one of the two
// ways to name it must be chosen (etcd refuses both, and neither would admit any CA-signed certificate).
TEST_F(EtcdMemberTest, PeersAreAdmittedByOneSharedName) {
  const auto issued = Certificate("etcd-member", "peers.etcd.internal");
  const std::string cert = issued.first, key = issued.second;
  auto errors = [&](const std::string& peer_settings) {
    nlohmann::json tls = {{"ca_cert", cert}, {"server_cert", cert}, {"server_key", key}};
    const nlohmann::json peer = nlohmann::json::parse(peer_settings);
    for (const auto& [k, v] : peer.items()) tls[k] = v;
    const nlohmann::json config = {{"name", "etcd-1"}, {"volume_id", "/v.qcow2"}, {"cloud_init_volume_pool", "p"},
                                   {"network_interface", {{{"network_name", "n"}, {"ip", "10.0.0.11"}, {"prefix_length", 24}}}},
                                   {"tls", tls}};
    auto value = value::DecodeJsonText(config.dump(), resource_->schema().type);
    EXPECT_TRUE(value.ok()) << value.status();
    value::Diagnostics diags;
    schema::ValidateConfig(resource_->schema().block, *value, diags);
    resource_->ValidateConfig(*value, diags);
    std::vector<std::string> out;
    for (const auto& d : diags.items()) {
      if (d.severity == value::Diagnostic::Severity::kError && d.path && d.path->ToString().rfind("tls", 0) == 0) {
        out.push_back(d.summary + " @ " + d.path->ToString());
      }
    }
    return out;
  };
  EXPECT_EQ(errors(R"({"peer_allowed_cn": "etcd-member"})"), std::vector<std::string>{});
  EXPECT_EQ(errors(R"({"peer_allowed_hostname": "peers.etcd.internal"})"), std::vector<std::string>{});
  EXPECT_EQ(errors(R"({"peer_allowed_cn": "etcd-1"})"),
            std::vector<std::string>{"Certificate lacks the peers' common name @ tls.server_cert"});
  EXPECT_EQ(errors(R"({"peer_allowed_hostname": "other.etcd.internal"})"),
            std::vector<std::string>{"Certificate lacks the peers' host name @ tls.server_cert"});
  EXPECT_EQ(errors("{}"), std::vector<std::string>{"Invalid combination in tls @ tls.peer_allowed_cn"});
  EXPECT_EQ(errors(R"({"peer_allowed_cn": "etcd-member", "peer_allowed_hostname": "peers.etcd.internal"})"),
            std::vector<std::string>{"Invalid combination in tls @ tls.peer_allowed_hostname"});
}

}  // namespace
}  // namespace pgha::resources

namespace pgha::resources {
namespace {

// A plan may remove members only while a quorum stays; removing every member is a destroy.
TEST(EtcdMemberLeaving, RemovalsKeepAQuorumUnlessTheWholeClusterGoes) {
  const auto role = EtcdRole();
  const std::vector<std::string> three = {"etcd-1", "etcd-2", "etcd-3"};
  EXPECT_TRUE(role->CheckLeaving(three, {"etcd-2"}).ok());
  EXPECT_TRUE(role->CheckLeaving(three, {"etcd-9"}).ok());  // not a member: nothing changes
  const auto two = role->CheckLeaving(three, {"etcd-2", "etcd-3"});
  EXPECT_FALSE(two.ok());
  EXPECT_NE(two.message().find("removes 2 of the etcd cluster's 3 members"), std::string::npos) << two;
  EXPECT_TRUE(role->CheckLeaving(three, three).ok());
  const std::vector<std::string> five = {"a", "b", "c", "d", "e"};
  EXPECT_TRUE(role->CheckLeaving(five, {"a", "b"}).ok());
  EXPECT_FALSE(role->CheckLeaving(five, {"a", "b", "c"}).ok());
}

}  // namespace
}  // namespace pgha::resources

namespace pgha::resources {
namespace {

class EtcdTimingsTest : public ResourceTest {};

// etcd refuses an election timeout under five heartbeats: refused at plan time, at its path.
TEST_F(EtcdTimingsTest, AnElectionTimeoutUnderFiveHeartbeatsIsRefused) {
  const Resource& member = Get("pgha_etcd_member");
  const auto errors = [&](int heartbeat, int election) {
    const auto all = Diagnose(member, Config(member, R"({"name": "etcd-1", "volume_id": "/v.qcow2",
      "cloud_init_volume_pool": "p", "etcd": {"heartbeat_interval": )" + std::to_string(heartbeat) +
                                                       R"(, "election_timeout": )" + std::to_string(election) + "}}"));
    std::vector<std::string> out;
    std::copy_if(all.begin(), all.end(), std::back_inserter(out),
                 [](const std::string& d) { return d.find(" @ etcd.") != std::string::npos; });
    return out;
  };
  EXPECT_EQ(errors(500, 2000), std::vector<std::string>{"Election timeout too short @ etcd.election_timeout"});
  EXPECT_EQ(errors(500, 5000), std::vector<std::string>{});
}

}  // namespace
}  // namespace pgha::resources

namespace pgha::resources {
namespace {

// The commands that retire a removed member's disk, run on a founding member's real configuration
// and data directory (paths moved under a temporary directory): the data goes aside, and etcd
// started from that configuration again may only join an existing cluster.
TEST(EtcdMemberRetiring, ADiskBootedAgainNeverFoundsAClusterOfItsOwn) {
  roles::EtcdMember founder{.name = "etcd-1", .ip = "10.0.0.11", .initial_members = {{"etcd-1", "10.0.0.11"}},
                            .initial_token = "t", .is_initializing = true, .auto_compaction_mode = "periodic",
                            .auto_compaction_retention = "1h", .space_quota = 1 << 30, .heartbeat_interval_ms = 100,
                            .election_timeout_ms = 1000, .peer_allowed_cn = "etcd-member"};
  auto pieces = roles::RenderEtcd(founder);
  ASSERT_TRUE(pieces.ok()) << pieces.status();
  const auto config = std::find_if(pieces->files.begin(), pieces->files.end(),
                                   [](const auto& f) { return f.path == "/etc/etcd/pgha.yml"; });
  ASSERT_NE(config, pieces->files.end());
  ASSERT_NE(config->content.find("initial-cluster-state: \"new\"\n"), std::string::npos) << config->content;

  const std::filesystem::path root = std::filesystem::path(::testing::TempDir()) / "retire";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root / "var/lib/etcd/pgha/member");
  std::filesystem::create_directories(root / "etc/etcd");
  std::ofstream(root / "etc/etcd/pgha.yml") << config->content;
  for (auto argv : EtcdRole()->RetireCommands()) {
    if (argv[0] == "/bin/systemctl") continue;  // no etcd runs here
    for (auto& arg : argv) {
      for (const std::string prefix : {"/var/lib/etcd", "/etc/etcd"}) {
        if (auto at = arg.find(prefix); at != std::string::npos) arg.insert(at, root.string());
      }
    }
    ASSERT_EQ(argv[0], "/bin/sh");
    std::string command = "/bin/sh -c '";
    for (const char c : argv[2]) command += c == '\'' ? std::string("'\\''") : std::string(1, c);
    command += "'";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  EXPECT_FALSE(std::filesystem::exists(root / "var/lib/etcd/pgha"));
  std::ifstream in(root / "etc/etcd/pgha.yml");
  const std::string retired((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(retired.find("initial-cluster-state: \"existing\"\n"), std::string::npos) << retired;
  EXPECT_EQ(retired.find("\"new\""), std::string::npos);
  EXPECT_NE(retired.find("name: \"etcd-1\""), std::string::npos);  // the rest as it was
}

}  // namespace
}  // namespace pgha::resources
