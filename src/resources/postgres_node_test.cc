// pgha_postgres_node through the resource as the provider drives it: its own
// rules, and the documents its plan renders, with every default from schemas/.
#include "resources/postgres_node.h"

#include <cstdlib>

#include "resources/resource_test_support.h"

namespace pgha::resources {
namespace {

// A node with only what is required; every optional block left out.
constexpr const char* kMinimal = R"({
  "name": "pg-1", "volume_id": "/v.qcow2", "cloud_init_volume_pool": "p",
  "network_interface": [{"network_name": "n", "ip": "10.0.0.21", "prefix_length": 24}],
  "postgres": {"superuser_password": "su", "replicator_password": "r", "ca_cert": "CA", "server_cert": "CERT",
               "server_key": "KEY", "member_addresses": ["10.0.0.21", "10.0.0.22", "10.0.0.23"]},
  "etcd": {"endpoints": ["10.0.0.11:2379"], "ca_cert": "CA"}})";

class PostgresNodeTest : public ResourceTest {
 protected:
  const Resource& node() const { return Get("pgha_postgres_node"); }

  // Patroni's configuration as the plan for `json` renders it.
  YAML::Node PatroniConfig(const std::string& json) const {
    value::Diagnostics diags;
    auto plan = PlanCreate(node(), Config(node(), json), diags);
    EXPECT_FALSE(diags.HasError());
    const value::Value& user_data = plan.planned.GetAttr("user_data");
    EXPECT_TRUE(user_data.IsKnown());
    return YAML::Load(FileIn(user_data.AsString(), "/etc/patroni/config.yml"));
  }
};

// The patroni block is omitted: Terraform keeps it null in the plan, and the schema's defaults
// apply as the node is rendered. Synchronous and strict is the promise the defaults keep.
TEST_F(PostgresNodeTest, AnOmittedPatroniBlockRendersTheSchemasDefaults) {
  YAML::Node config = PatroniConfig(kMinimal);
  const YAML::Node dcs = config["bootstrap"]["dcs"];
  EXPECT_TRUE(dcs["synchronous_mode"].as<bool>());
  EXPECT_TRUE(dcs["synchronous_mode_strict"].as<bool>());
  EXPECT_EQ(dcs["synchronous_node_count"].as<int>(), 1);
  EXPECT_EQ(dcs["ttl"].as<int>(), 15);
  EXPECT_EQ(dcs["loop_wait"].as<int>(), 3);
  EXPECT_EQ(dcs["retry_timeout"].as<int>(), 6);
  EXPECT_EQ(dcs["maximum_lag_on_failover"].as<int>(), 1048576);
  EXPECT_TRUE(dcs["postgresql"]["use_pg_rewind"].as<bool>());
  EXPECT_EQ(config["scope"].as<std::string>(), "pgha");
  EXPECT_EQ(config["namespace"].as<std::string>(), "/service/");
  EXPECT_EQ(config["name"].as<std::string>(), "pg-1");  // patroni.name defaults to the VM's
  EXPECT_EQ(config["watchdog"]["mode"].as<std::string>(), "automatic");
  EXPECT_EQ(config["watchdog"]["safety_margin"].as<int>(), 5);
  // Unset, the REST API serves the postgres block's certificate; no basic authentication.
  EXPECT_FALSE(config["restapi"]["authentication"].IsDefined());
  // pg_hba's client network is the advertised interface's.
  auto hba = config["postgresql"]["pg_hba"].as<std::vector<std::string>>();
  EXPECT_TRUE(Contains(hba, "hostssl all all 10.0.0.0/24 scram-sha-256"));
}

TEST_F(PostgresNodeTest, GivenValuesWinOverTheDefaults) {
  std::string json = kMinimal;
  json.insert(json.rfind('}'), R"(, "patroni": {"scope": "main", "ttl": 40, "replication": "asynchronous",
      "rest_api_username": "api", "rest_api_password": "pw"})");
  YAML::Node config = PatroniConfig(json);
  EXPECT_EQ(config["scope"].as<std::string>(), "main");
  EXPECT_EQ(config["bootstrap"]["dcs"]["ttl"].as<int>(), 40);
  EXPECT_FALSE(config["bootstrap"]["dcs"]["synchronous_mode"].as<bool>());
  EXPECT_EQ(config["restapi"]["authentication"]["username"].as<std::string>(), "api");
}

TEST_F(PostgresNodeTest, RulesAreCheckedAtTheirPaths) {
  auto with = [&](const std::string& extra) {
    std::string json = kMinimal;
    json.insert(json.rfind('}'), extra);
    return Diagnose(node(), Config(node(), json));
  };
  // The defaults take part: ttl 15 cannot hold loop_wait 3 + 2 * retry_timeout 7.
  EXPECT_TRUE(Contains(with(R"(, "patroni": {"retry_timeout": 7})"),
                       "Patroni timings do not fit in the TTL @ patroni.ttl"));
  EXPECT_TRUE(Contains(with(R"(, "patroni": {"synchronous_node_count": 3, "cluster_size": 3})"),
                       "Too many synchronous replicas @ patroni.synchronous_node_count"));
  EXPECT_TRUE(Contains(with(R"(, "patroni": {"rest_api_username": "api"})"),
                       "Invalid combination in patroni @ patroni.rest_api_password"));
  std::string no_members = kMinimal;
  no_members.replace(no_members.find(R"(, "member_addresses")"),
                     std::string(R"(, "member_addresses": ["10.0.0.21", "10.0.0.22", "10.0.0.23"])").size(), "");
  EXPECT_TRUE(Contains(Diagnose(node(), Config(node(), no_members)),
                       "Superuser and replication logins are open to client_networks @ postgres.member_addresses"));
  std::string bad_member = kMinimal;
  bad_member.replace(bad_member.find("10.0.0.23"), 9, "10.0.0.0/33");
  EXPECT_TRUE(Contains(Diagnose(node(), Config(node(), bad_member)),
                       "Invalid value for postgres.member_addresses[2] @ postgres.member_addresses[2]"));
  EXPECT_TRUE(Contains(with(R"(, "postgres_exporter": {"listen_address": "10.0.0.21"})"),
                       "Invalid listen address @ postgres_exporter.listen_address"));
  EXPECT_FALSE(Contains(with(R"(, "postgres_exporter": {"listen_address": "10.0.0.21:9187"})"),
                        "Invalid listen address @ postgres_exporter.listen_address"));
  EXPECT_TRUE(Contains(with(R"(, "node_exporter": {"listen_address": "9100"})"),
                       "Invalid listen address @ node_exporter.listen_address"));
}

// The backup block, with only what it requires: the schema's defaults reach Patroni's configuration.
TEST_F(PostgresNodeTest, ABackupBlockArchivesThroughTheRepositoryWithTheSchemasDefaults) {
  std::string json = kMinimal;
  json.insert(json.rfind('}'), R"(, "backup": {"repository_name": "backup-1", "repository_address": "10.0.0.40",
                                     "repository_cn": "backup-repository", "stanza": "main"})");
  YAML::Node config = PatroniConfig(json);
  EXPECT_EQ(config["postgresql"]["parameters"]["archive_timeout"].as<std::string>(), "60s");
  EXPECT_EQ(config["postgresql"]["create_replica_methods"][0].as<std::string>(), "pgbackrest");

  // Archiving belongs to the block: the same settings in params are refused, on the parameter.
  std::string clash = json;
  clash.insert(clash.find(R"("superuser_password")"), R"("params": {"archive_command": "cp %p /x"}, )");
  EXPECT_TRUE(Contains(Diagnose(node(), Config(node(), clash)),
                       "Archiving is set by the backup block @ postgres.params[\"archive_command\"]"));
}

// A restored cluster: its own stanza for archiving, the source's for the bootstrap; mistakes are
// diagnostics on the attribute; another target or source replaces the node.
TEST_F(PostgresNodeTest, ARestoreBlockBootstrapsFromTheSourceStanzaAndReplacesWhenChanged) {
  const std::string backup = R"(, "backup": {"repository_name": "backup-1", "repository_address": "10.0.0.40",
                                    "repository_cn": "backup-repository", "stanza": "restored"})";
  auto with = [&](const std::string& restore, const std::string& backup_block) {
    std::string json = kMinimal;
    json.insert(json.rfind('}'), backup_block + R"(, "restore": )" + restore);
    return json;
  };
  const std::string json = with(R"({"stanza": "main", "target_time": "2026-12-04T05:30:00Z"})", backup);
  YAML::Node config = PatroniConfig(json);
  EXPECT_EQ(config["bootstrap"]["method"].as<std::string>(), "pgbackrest_restore");
  EXPECT_EQ(config["bootstrap"]["pgbackrest_restore"]["command"].as<std::string>(),
            "/usr/bin/pgbackrest --stanza=main --delta --type=time \"--target=2026-12-04 05:30:00+00:00\" "
            "--target-action=promote restore");

  auto diagnose = [&](const std::string& restore, const std::string& backup_block) {
    return Diagnose(node(), Config(node(), with(restore, backup_block)));
  };
  EXPECT_TRUE(Contains(diagnose(R"({"stanza": "main"})", ""), "A restore needs the backup block @ restore"));
  EXPECT_TRUE(Contains(diagnose(R"({"stanza": "restored"})", backup),
                       "The restored cluster would archive into its source @ restore.stanza"));
  EXPECT_TRUE(Contains(diagnose(R"({"stanza": "main", "target_time": "2026-12-04 05:30:00"})", backup),
                       "Invalid restore target time @ restore.target_time"));
  EXPECT_TRUE(Contains(diagnose(R"({"stanza": "main", "target_lsn": "3000060"})", backup),
                       "Invalid restore target LSN @ restore.target_lsn"));
  EXPECT_TRUE(Contains(diagnose(R"({"stanza": "main", "backup_set": "newest"})", backup),
                       "Invalid backup set @ restore.backup_set"));
  const auto both = diagnose(R"({"stanza": "main", "target_time": "2026-12-04T05:30:00Z", "target_lsn": "0/1"})", backup);
  EXPECT_TRUE(std::any_of(both.begin(), both.end(), [](const std::string& d) { return d.find("restore.target_") != std::string::npos; }))
      << ::testing::PrintToString(both);

  // Another moment is another cluster.
  value::Diagnostics diags;
  auto created = PlanCreate(node(), Config(node(), json), diags);
  const value::Value later = Config(node(), with(R"({"stanza": "main", "target_time": "2026-12-04T06:00:00Z"})", backup));
  auto replaced_by_restore = [&](const value::Value& config) {
    const schema::PlannedChange plan = schema::PlanChange(node().schema(), created.planned, config, config);
    return std::any_of(plan.requires_replace.begin(), plan.requires_replace.end(),
                       [](const value::Path& p) { return p.ToString().rfind("restore", 0) == 0; });
  };
  EXPECT_TRUE(replaced_by_restore(later));
  EXPECT_FALSE(replaced_by_restore(Config(node(), json)));
}

// Before a restored node is made, its target is checked on the repository VM; a repository that is
// no VM on this hypervisor (another compute provider's) cannot be asked, which is a warning.
TEST_F(PostgresNodeTest, ARestoreWhoseRepositoryIsNoVmHereIsCreatedWithAWarning) {
  const char* uri = std::getenv("PGHA_LIBVIRT_URI");
  if (uri == nullptr || *uri == '\0') GTEST_SKIP() << "PGHA_LIBVIRT_URI unset: run through scripts/test";
  std::string json = kMinimal;
  json.insert(json.rfind('}'), R"(, "backup": {"repository_name": "pgha-test-no-such-repository",
                                    "repository_address": "10.0.0.40", "repository_cn": "backup-repository",
                                    "stanza": "restored"},
                                    "restore": {"stanza": "main"})");
  value::Diagnostics diags;
  auto plan = PlanCreate(node(), Config(node(), json), diags);
  ASSERT_FALSE(diags.HasError());
  const schema::Reader planned(node().schema().block, plan.planned);
  value::Diagnostics preflight;
  PostgresRole()->Preflight(planned, uri, 1796362500, [] { return false; }, preflight);
  ASSERT_EQ(preflight.items().size(), 1u);
  EXPECT_FALSE(preflight.HasError()) << preflight.items()[0].summary << ": " << preflight.items()[0].detail;
  EXPECT_EQ(preflight.items()[0].summary, "The restore target was not checked");
  EXPECT_EQ(preflight.items()[0].path->ToString(), "backup.repository_name");

  // Without a restore block there is nothing to ask.
  const auto plain_plan = PlanCreate(node(), Config(node(), kMinimal), diags);
  const schema::Reader plain(node().schema().block, plain_plan.planned);
  value::Diagnostics none;
  PostgresRole()->Preflight(plain, uri, 1796362500, [] { return false; }, none);
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace pgha::resources
