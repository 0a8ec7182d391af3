// pgha_haproxy_lb through the resource as the provider drives it: its rules,
// and the configuration its plan renders, with the defaults from schemas/.
#include "resources/haproxy_lb.h"

#include "resources/resource_test_support.h"

namespace pgha::resources {
namespace {

constexpr const char* kMinimal = R"({
  "name": "lb-1", "volume_id": "/v.qcow2", "cloud_init_volume_pool": "p",
  "network_interface": [{"network_name": "n", "ip": "10.0.0.30", "prefix_length": 24}],
  "haproxy": {"postgres_nodes": [{"name": "pg-1", "ip": "10.0.0.21"}, {"name": "pg-2", "ip": "10.0.0.22"}],
              "patroni_ca_cert": "CA", "patroni_client_cert": "CERT", "patroni_client_key": "KEY"}})";

class HaproxyLbTest : public ResourceTest {
 protected:
  const Resource& lb() const { return Get("pgha_haproxy_lb"); }
  std::string Rendered(const std::string& json, const std::string& path) const {
    value::Diagnostics diags;
    auto plan = PlanCreate(lb(), Config(lb(), json), diags);
    EXPECT_FALSE(diags.HasError());
    const value::Value& user_data = plan.planned.GetAttr("user_data");
    return user_data.IsKnown() ? FileIn(user_data.AsString(), path) : "";
  }
};

// The timeouts block is omitted: its defaults come from the schema as the load balancer renders.
TEST_F(HaproxyLbTest, AnOmittedTimeoutsBlockRendersTheSchemasDefaults) {
  const std::string cfg = Rendered(kMinimal, "/etc/haproxy/haproxy.cfg");
  EXPECT_NE(cfg.find("timeout connect 5s"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("timeout check 5s"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("timeout client 30m"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("server pg-2 10.0.0.22:5432 check port 8008 verifyhost pg-2"), std::string::npos) << cfg;
  // Unset, the node exporter binds the advertised address only.
  const std::string exporter =
      Rendered(kMinimal, "/etc/systemd/system/prometheus-node-exporter.service.d/pgha.conf");
  EXPECT_NE(exporter.find("--web.listen-address=10.0.0.30:9100"), std::string::npos) << exporter;
}

TEST_F(HaproxyLbTest, NodesComeAsAListOrADomainNeverBoth) {
  std::string both = kMinimal;
  both.insert(both.find(R"("patroni_ca_cert")"), R"("postgres_domain": "pg.internal", "postgres_nameserver_ips": ["10.0.0.1"], )");
  EXPECT_TRUE(Contains(Diagnose(lb(), Config(lb(), both)), "Invalid combination in haproxy @ haproxy.postgres_domain"));
  std::string domain = both;
  domain.replace(domain.find(R"("postgres_nodes")"),
                 std::string(R"("postgres_nodes": [{"name": "pg-1", "ip": "10.0.0.21"}, {"name": "pg-2", "ip": "10.0.0.22"}],)").size(),
                 "");
  EXPECT_FALSE(Contains(Diagnose(lb(), Config(lb(), domain)), "Invalid combination"));
  std::string no_nameserver = domain;
  no_nameserver.replace(no_nameserver.find(R"(, "postgres_nameserver_ips": ["10.0.0.1"])"),
                        std::string(R"(, "postgres_nameserver_ips": ["10.0.0.1"])").size(), "");
  EXPECT_TRUE(Contains(Diagnose(lb(), Config(lb(), no_nameserver)),
                       "Missing postgres_nameserver_ips @ haproxy.postgres_nameserver_ips"));
  std::string twice = kMinimal;
  twice.replace(twice.find(R"("name": "pg-2")"), std::string(R"("name": "pg-2")").size(), R"("name": "pg-1")");
  EXPECT_TRUE(Contains(Diagnose(lb(), Config(lb(), twice)),
                       "Duplicate name in haproxy.postgres_nodes @ haproxy.postgres_nodes[1].name"));
  std::string bad_timeout = kMinimal;
  bad_timeout.insert(bad_timeout.find(R"("patroni_ca_cert")"), R"("timeouts": {"idle": "ten minutes"}, )");
  EXPECT_TRUE(Contains(Diagnose(lb(), Config(lb(), bad_timeout)), "Invalid timeout @ haproxy.timeouts.idle"));
}

}  // namespace
}  // namespace pgha::resources
