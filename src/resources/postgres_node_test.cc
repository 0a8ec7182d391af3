// pgha_postgres_node through the resource as the provider drives it: its own
// rules, and the documents its plan renders, with every default from schemas/.
#include "resources/postgres_node.h"

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

}  // namespace
}  // namespace pgha::resources
