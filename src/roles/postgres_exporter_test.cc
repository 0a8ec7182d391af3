// The PostgreSQL metrics exporter and what it asks of Patroni's node: a
// pg_monitor-only role by peer authentication, created on the primary.
#include "roles/postgres_exporter.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "gtest/gtest.h"
#include "roles/patroni.h"
#include "roles/role_test_support.h"

namespace pgha::roles {
namespace {

PatroniNode Node() {
  PatroniNode n;
  n.name = "pg-1";
  n.ip = "10.0.0.21";
  n.client_networks = {"10.0.0.0/24"};
  n.superuser_password = "su";
  n.replicator_password = "r";
  n.etcd_endpoints = {"10.0.0.11:2379"};
  return n;
}

std::string DropIn(const RolePieces& p) { return Find(p, std::string(kExporterDropIn))->content; }

TEST(PostgresExporter, NoneUnlessAsked) {
  auto out = RenderPatroni(Node());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Find(*out, std::string(kExporterDropIn)), nullptr);
  EXPECT_EQ(Find(*out, std::string(kMonitorRoleScript)), nullptr);
  YAML::Node doc = YAML::Load(Find(*out, "/etc/patroni/config.yml")->content);
  EXPECT_FALSE(doc["postgresql"]["pg_ident"].IsDefined());
  EXPECT_FALSE(doc["postgresql"]["callbacks"].IsDefined());
  for (const auto& line : doc["postgresql"]["pg_hba"].as<std::vector<std::string>>()) {
    EXPECT_EQ(line.find(kMonitorRole), std::string::npos) << line;
  }
}

TEST(PostgresExporter, PeerLoginAsAMonitoringRoleThePrimaryCreates) {
  PatroniNode n = Node();
  n.exporter = PostgresExporter{"10.0.0.21:9187", std::nullopt};
  auto out = RenderPatroni(n);
  ASSERT_TRUE(out.ok()) << out.status();
  YAML::Node doc = YAML::Load(Find(*out, "/etc/patroni/config.yml")->content);
  // The peer line comes before the catch-all local line, which would ask for a password.
  const auto hba = doc["postgresql"]["pg_hba"].as<std::vector<std::string>>();
  const auto peer = std::find(hba.begin(), hba.end(), "local all pgha_monitor peer map=pgha_monitor");
  const auto any = std::find(hba.begin(), hba.end(), "local all all scram-sha-256");
  ASSERT_NE(peer, hba.end());
  EXPECT_LT(peer, any);
  EXPECT_EQ(doc["postgresql"]["pg_ident"].as<std::vector<std::string>>(),
            std::vector<std::string>{"pgha_monitor prometheus pgha_monitor"});
  EXPECT_EQ(doc["postgresql"]["callbacks"]["on_start"].as<std::string>(), kMonitorRoleScript);
  EXPECT_EQ(doc["postgresql"]["callbacks"]["on_role_change"].as<std::string>(), kMonitorRoleScript);

  const auto* script = Find(*out, std::string(kMonitorRoleScript));
  ASSERT_NE(script, nullptr);
  EXPECT_EQ(script->permissions, "0755");
  EXPECT_NE(script->content.find("CREATE ROLE pgha_monitor LOGIN;"), std::string::npos) << script->content;
  EXPECT_NE(script->content.find("GRANT pg_monitor TO pgha_monitor;"), std::string::npos);
  EXPECT_EQ(script->content.find("{{"), std::string::npos);

  const std::string dropin = DropIn(*out);
  EXPECT_NE(dropin.find("EnvironmentFile=\n"), std::string::npos) << dropin;
  EXPECT_NE(dropin.find("\"DATA_SOURCE_NAME=user=pgha_monitor host=/run/postgresql dbname=postgres sslmode=disable\""),
            std::string::npos);
  EXPECT_NE(dropin.find("ExecStart=\nExecStart=/usr/bin/prometheus-postgres-exporter "
                        "--web.listen-address=10.0.0.21:9187 "
                        "--web.config.file=/etc/prometheus-postgres-exporter/pgha-web.yml\n"),
            std::string::npos);
  // Plain HTTP: the web configuration is there, and empty of TLS.
  const auto* web = Find(*out, "/etc/prometheus-postgres-exporter/pgha-web.yml");
  ASSERT_NE(web, nullptr);
  EXPECT_FALSE(YAML::Load(web->content)["tls_server_config"].IsDefined()) << web->content;
  EXPECT_EQ(Find(*out, "/etc/prometheus-postgres-exporter/tls.key"), nullptr);
  EXPECT_NE(std::find(out->packages.begin(), out->packages.end(), "prometheus-postgres-exporter"),
            out->packages.end());
  // The exporter starts after Patroni, which makes the role on the leader.
  const auto at = [&](const std::vector<std::string>& argv) {
    return std::find(out->runcmd.begin(), out->runcmd.end(), argv) - out->runcmd.begin();
  };
  EXPECT_LT(at({"systemctl", "restart", "patroni"}), at({"systemctl", "restart", "prometheus-postgres-exporter"}));
  EXPECT_LT(at({"systemctl", "restart", "prometheus-postgres-exporter"}), static_cast<long>(out->runcmd.size()));
}

TEST(PostgresExporter, HttpsWithClientCertificatesWhenGivenTheirCa) {
  PostgresExporter e{"10.0.0.21:9187", MetricsTls{"CERT", "KEY", ""}};
  auto out = RenderPostgresExporter(e);
  ASSERT_TRUE(out.ok()) << out.status();
  YAML::Node web = YAML::Load(Find(*out, "/etc/prometheus-postgres-exporter/pgha-web.yml")->content);
  EXPECT_EQ(web["tls_server_config"]["cert_file"].as<std::string>(), "/etc/prometheus-postgres-exporter/tls.crt");
  EXPECT_EQ(web["tls_server_config"]["key_file"].as<std::string>(), "/etc/prometheus-postgres-exporter/tls.key");
  EXPECT_FALSE(web["tls_server_config"]["client_auth_type"].IsDefined());
  const auto* key = Find(*out, "/etc/prometheus-postgres-exporter/tls.key");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->content, "KEY");
  EXPECT_EQ(key->owner, "root:prometheus");  // readable by the exporter, by no one else
  EXPECT_EQ(key->permissions, "0640");
  EXPECT_TRUE(key->defer);  // the prometheus group exists once the package is in

  e.tls->client_ca_cert = "CA";
  out = RenderPostgresExporter(e);
  ASSERT_TRUE(out.ok()) << out.status();
  web = YAML::Load(Find(*out, "/etc/prometheus-postgres-exporter/pgha-web.yml")->content);
  EXPECT_EQ(web["tls_server_config"]["client_auth_type"].as<std::string>(), "RequireAndVerifyClientCert");
  EXPECT_EQ(web["tls_server_config"]["client_ca_file"].as<std::string>(),
            "/etc/prometheus-postgres-exporter/client-ca.crt");
  EXPECT_EQ(Find(*out, "/etc/prometheus-postgres-exporter/client-ca.crt")->content, "CA");
}

TEST(PostgresExporter, ListenAddressMustBeHostPort) {
  for (const char* bad : {"10.0.0.21", "10.0.0.21:9187 --web.telemetry-path=/x", "a:b\nc"}) {
    EXPECT_FALSE(RenderPostgresExporter({bad, std::nullopt}).ok()) << bad;
  }
  EXPECT_TRUE(RenderPostgresExporter({":9187", std::nullopt}).ok());
}

TEST(PostgresExporter, AChangedFileRestartsTheExporterAndNothingElse) {
  const LiveEffect e = PatroniLiveEffect({"/etc/prometheus-postgres-exporter/tls.crt"});
  EXPECT_FALSE(e.disruptive);
  EXPECT_NE(std::find(e.commands.begin(), e.commands.end(),
                      std::vector<std::string>{"/bin/systemctl", "restart", "prometheus-postgres-exporter"}),
            e.commands.end());
  EXPECT_EQ(std::find(e.commands.begin(), e.commands.end(),
                      std::vector<std::string>{"/bin/systemctl", "reload", "patroni"}),
            e.commands.end());
  EXPECT_FALSE(PatroniLiveEffect({std::string(kExporterDropIn)}).commands.empty());
}

}  // namespace
}  // namespace pgha::roles
