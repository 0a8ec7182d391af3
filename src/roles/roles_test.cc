// The roles' rendered files, read back with a YAML parser or line by line:
// values land where they belong and cannot change a file's structure.
#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "gtest/gtest.h"
#include "roles/etcd.h"
#include "roles/haproxy.h"
#include "roles/host_agents.h"
#include "roles/patroni.h"
#include "roles/role_test_support.h"

namespace pgha::roles {
namespace {

TEST(PatroniRole, DefaultsAreSynchronousStrictAndVerified) {
  PatroniNode n;
  n.name = "pg-1";
  n.ip = "10.0.0.21";
  n.client_networks = {"10.0.0.0/24"};
  n.parameters = {{"max_connections", "150"}, {"ssl", "off"}};
  n.superuser_password = "su: \"x\"\n";
  n.replicator_password = "r";
  n.etcd_endpoints = {"10.0.0.11:2379"};
  auto out = RenderPatroni(n);
  ASSERT_TRUE(out.ok()) << out.status();
  const auto* config = Find(*out, "/etc/patroni/config.yml");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->owner, "root:postgres");
  EXPECT_EQ(config->permissions, "0640");
  YAML::Node doc = YAML::Load(config->content);
  EXPECT_TRUE(doc["bootstrap"]["dcs"]["synchronous_mode"].as<bool>());
  EXPECT_TRUE(doc["bootstrap"]["dcs"]["synchronous_mode_strict"].as<bool>());
  EXPECT_EQ(doc["postgresql"]["authentication"]["superuser"]["password"].as<std::string>(), "su: \"x\"\n");
  EXPECT_EQ(doc["postgresql"]["authentication"]["rewind"]["username"].as<std::string>(), "postgres");
  EXPECT_EQ(doc["postgresql"]["authentication"]["replication"]["sslmode"].as<std::string>(), "verify-full");
  EXPECT_FALSE(doc["etcd3"]["cert"].IsDefined());  // no client certificate given
  EXPECT_FALSE(doc["bootstrap"]["dcs"]["primary_stop_timeout"].IsDefined());
  // The user's parameters are cluster-wide; the TLS settings pgha needs are local and win.
  EXPECT_EQ(doc["bootstrap"]["dcs"]["postgresql"]["parameters"]["ssl"].as<std::string>(), "off");
  EXPECT_EQ(doc["postgresql"]["parameters"]["ssl"].as<std::string>(), "true");
  auto hba = doc["postgresql"]["pg_hba"].as<std::vector<std::string>>();
  EXPECT_NE(std::find(hba.begin(), hba.end(), "hostssl replication replicator 10.0.0.0/24 scram-sha-256"), hba.end());
  for (const auto& line : hba) EXPECT_EQ(line.find("trust"), std::string::npos) << line;
  EXPECT_EQ(Find(*out, "/etc/patroni/tls/server.key")->permissions, "0600");
  // Patroni starts through pgha's launcher (the leader-key guard), named by a drop-in that clears
  // the package's ExecStart; systemd reads the drop-in before the first start.
  const auto* dropin = Find(*out, kPatroniDropIn);
  ASSERT_NE(dropin, nullptr);
  EXPECT_NE(dropin->content.find("ExecStart=\nExecStart=/usr/bin/python3 /usr/local/sbin/pgha-patroni /etc/patroni/config.yml\n"),
            std::string::npos) << dropin->content;
  ASSERT_NE(Find(*out, kPatroniLauncher), nullptr);
  EXPECT_EQ(Find(*out, kPatroniLauncher)->permissions, "0755");
  const auto at = [&](const std::vector<std::string>& argv) {
    return std::find(out->runcmd.begin(), out->runcmd.end(), argv) - out->runcmd.begin();
  };
  EXPECT_LT(at({"systemctl", "daemon-reload"}), at({"systemctl", "restart", "patroni"}));
  EXPECT_LT(at({"systemctl", "restart", "patroni"}), static_cast<long>(out->runcmd.size()));
}

TEST(PatroniRole, MemberAddressesAloneMaySendTheClusterLogins) {
  PatroniNode n;
  n.name = "pg-1";
  n.ip = "10.0.0.21";
  n.client_networks = {"10.0.0.0/24"};
  n.member_addresses = {"10.0.0.21", "10.0.0.22", "fd00::23", "192.168.5.0/24"};
  n.etcd_endpoints = {"10.0.0.11:2379"};
  n.rest_username = "patroni-api";
  n.rest_password = "it's: \"x\"";
  auto out = RenderPatroni(n);
  ASSERT_TRUE(out.ok()) << out.status();
  YAML::Node doc = YAML::Load(Find(*out, "/etc/patroni/config.yml")->content);
  auto hba = doc["postgresql"]["pg_hba"].as<std::vector<std::string>>();
  auto at = [&](const std::string& line) { return std::find(hba.begin(), hba.end(), line) - hba.begin(); };
  const auto end = static_cast<long>(hba.size());
  EXPECT_LT(at("hostssl replication replicator 10.0.0.22/32 scram-sha-256"), end);
  EXPECT_LT(at("hostssl all postgres,rewinder fd00::23/128 scram-sha-256"), end);
  EXPECT_LT(at("hostssl all postgres,rewinder 192.168.5.0/24 scram-sha-256"), end);
  // The superuser from an application's network meets the reject line before the clients' line.
  EXPECT_LT(at("host all postgres,rewinder,replicator 0.0.0.0/0 reject"), at("hostssl all all 10.0.0.0/24 scram-sha-256"));
  EXPECT_LT(at("hostssl all all 10.0.0.0/24 scram-sha-256"), end);
  EXPECT_EQ(at("hostssl replication replicator 10.0.0.0/24 scram-sha-256"), end) << "replication from clients";
  // Basic authentication on the REST API's unsafe calls, typed whatever the password holds.
  EXPECT_EQ(doc["restapi"]["authentication"]["username"].as<std::string>(), "patroni-api");
  EXPECT_EQ(doc["restapi"]["authentication"]["password"].as<std::string>(), "it's: \"x\"");
  n.member_addresses = {"10.0.0.22 trust"};
  EXPECT_FALSE(RenderPatroni(n).ok());
}

TEST(PatroniRole, AsynchronousAndClientCertificate) {
  PatroniNode n;
  n.name = "pg-1";
  n.ip = "fd00::21";
  n.client_networks = {"fd00::/64"};
  n.mode = ReplicationMode::kAsynchronous;
  n.etcd_client_cert = "CERT";
  n.etcd_client_key = "KEY";
  n.rewind_password = "rw";
  auto out = RenderPatroni(n);
  ASSERT_TRUE(out.ok()) << out.status();
  YAML::Node doc = YAML::Load(Find(*out, "/etc/patroni/config.yml")->content);
  EXPECT_FALSE(doc["bootstrap"]["dcs"]["synchronous_mode"].as<bool>());
  EXPECT_EQ(doc["etcd3"]["cert"].as<std::string>(), "/etc/patroni/tls/etcd-client.crt");
  EXPECT_EQ(doc["restapi"]["listen"].as<std::string>(), "[fd00::21]:8008");
  // Unsafe calls only from this node, loopback and the cluster's members.
  EXPECT_EQ(doc["restapi"]["allowlist"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"fd00::21", "127.0.0.1", "::1"}));
  EXPECT_TRUE(doc["restapi"]["allowlist_include_members"].as<bool>());
  EXPECT_FALSE(doc["restapi"]["authentication"].IsDefined()) << "no credentials given";
  EXPECT_EQ(doc["postgresql"]["authentication"]["rewind"]["username"].as<std::string>(), "rewinder");
  EXPECT_EQ(Find(*out, "/etc/patroni/tls/etcd-client.key")->permissions, "0600");
  n.client_networks = {"10.0.0.0/24 trust"};
  EXPECT_FALSE(RenderPatroni(n).ok());
}

TEST(HaproxyRole, StaticNodesAndDns) {
  LoadBalancer lb;
  lb.nodes = {{"pg-1", "10.0.0.21"}, {"pg-2", "10.0.0.22"}};
  lb.client_cert = "CERT";
  lb.client_key = "KEY\n";
  lb.max_nodes = 3;
  lb.connect_timeout = lb.check_timeout = "5s";
  lb.idle_timeout = "30m";
  auto out = RenderHaproxy(lb);
  ASSERT_TRUE(out.ok()) << out.status();
  const std::string& cfg = Find(*out, "/etc/haproxy/haproxy.cfg")->content;
  EXPECT_NE(cfg.find("    server pg-2 10.0.0.22:5432 check port 8008 verifyhost pg-2\n"), std::string::npos);
  EXPECT_NE(cfg.find("    server pg-1 10.0.0.21:8008 check port 8008 verifyhost pg-1\n"), std::string::npos);
  EXPECT_EQ(cfg.find("resolvers"), std::string::npos);
  EXPECT_EQ(Find(*out, "/etc/haproxy/tls/patroni-client.pem")->content, "CERT\nKEY\n");
  EXPECT_EQ(Find(*out, "/etc/haproxy/tls/patroni-client.pem")->permissions, "0600");

  lb.nodes.clear();
  lb.domain = "pg.internal";
  lb.nameservers = {"10.0.0.2"};
  lb.max_nodes = 5;
  out = RenderHaproxy(lb);
  ASSERT_TRUE(out.ok()) << out.status();
  const std::string& dns = Find(*out, "/etc/haproxy/haproxy.cfg")->content;
  EXPECT_NE(dns.find("server-template pg 1-5 pg.internal:5432 check port 8008 verifyhost pg.internal resolvers "
                     "postgres-dns init-addr none"),
            std::string::npos);
  EXPECT_NE(dns.find("    nameserver ns1 10.0.0.2:53\n"), std::string::npos);

  lb.idle_timeout = "30m\n    user root";
  EXPECT_FALSE(RenderHaproxy(lb).ok());
  lb.idle_timeout = "30m";
  lb.domain = "pg.internal backup";
  EXPECT_FALSE(RenderHaproxy(lb).ok());
}

TEST(HaproxyRole, ReadOnlyPortsOnlyWhenAsked) {
  LoadBalancer lb;
  lb.nodes = {{"pg-1", "10.0.0.21"}, {"pg-2", "10.0.0.22"}};
  lb.max_nodes = 3;
  lb.connect_timeout = lb.check_timeout = "5s";
  lb.idle_timeout = "30m";
  lb.replica_max_lag_bytes = 1048576;
  auto out = RenderHaproxy(lb);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Find(*out, "/etc/haproxy/haproxy.cfg")->content.find("postgres-replicas"), std::string::npos);

  lb.replica_port = 5433;
  lb.sync_standby_port = 5434;
  out = RenderHaproxy(lb);
  ASSERT_TRUE(out.ok()) << out.status();
  const std::string& cfg = Find(*out, "/etc/haproxy/haproxy.cfg")->content;
  const size_t replicas = cfg.find("listen postgres-replicas\n    bind :5433\n");
  const size_t sync = cfg.find("listen postgres-sync-standby\n    bind :5434\n");
  ASSERT_NE(replicas, std::string::npos) << cfg;
  ASSERT_NE(sync, std::string::npos) << cfg;
  EXPECT_NE(cfg.find("http-check send meth OPTIONS uri /replica?lag=1048576\n", replicas), std::string::npos);
  EXPECT_NE(cfg.find("http-check send meth OPTIONS uri /sync\n", sync), std::string::npos);
  // Both go to PostgreSQL's port on every node, each checked through its REST API.
  EXPECT_NE(cfg.find("    server pg-2 10.0.0.22:5432 check port 8008 verifyhost pg-2\n", sync), std::string::npos);
  EXPECT_NE(cfg.find("    server pg-1 10.0.0.21:5432 check port 8008 verifyhost pg-1\n", replicas),
            std::string::npos);
}

TEST(HaproxyRole, PrometheusEndpointOnTheAdvertisedAddressOnlyWhenAsked) {
  LoadBalancer lb;
  lb.nodes = {{"pg-1", "10.0.0.21"}};
  lb.max_nodes = 3;
  lb.connect_timeout = lb.check_timeout = "5s";
  lb.idle_timeout = "30m";
  lb.advertised_ip = "10.0.0.30";
  auto out = RenderHaproxy(lb);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Find(*out, "/etc/haproxy/haproxy.cfg")->content.find("prometheus-exporter"), std::string::npos);
  lb.metrics_port = 8405;
  out = RenderHaproxy(lb);
  ASSERT_TRUE(out.ok()) << out.status();
  const std::string& cfg = Find(*out, "/etc/haproxy/haproxy.cfg")->content;
  EXPECT_NE(cfg.find("frontend metrics\n    mode http\n    bind 10.0.0.30:8405\n"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("http-request use-service prometheus-exporter if { path /metrics }\n"), std::string::npos);
  lb.advertised_ip = "fd00::30";
  out = RenderHaproxy(lb);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_NE(Find(*out, "/etc/haproxy/haproxy.cfg")->content.find("    bind [fd00::30]:8405\n"), std::string::npos);
}

TEST(HaproxyRole, PrometheusEndpointOverTlsAndWithClientCertificates) {
  LoadBalancer lb;
  lb.nodes = {{"pg-1", "10.0.0.21"}};
  lb.max_nodes = 3;
  lb.connect_timeout = lb.check_timeout = "5s";
  lb.idle_timeout = "30m";
  lb.advertised_ip = "10.0.0.30";
  lb.metrics_port = 8405;
  lb.metrics_tls = MetricsTls{"CERT", "KEY", ""};
  auto out = RenderHaproxy(lb);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_NE(Find(*out, "/etc/haproxy/haproxy.cfg")->content.find(
                "    bind 10.0.0.30:8405 ssl crt /etc/haproxy/tls/metrics.pem\n"),
            std::string::npos)
      << Find(*out, "/etc/haproxy/haproxy.cfg")->content;
  const auto* pem = Find(*out, "/etc/haproxy/tls/metrics.pem");
  ASSERT_NE(pem, nullptr);
  EXPECT_EQ(pem->content, "CERT\nKEY");
  EXPECT_EQ(pem->permissions, "0600");
  EXPECT_EQ(Find(*out, "/etc/haproxy/tls/metrics-client-ca.crt"), nullptr);
  lb.metrics_tls->client_ca_cert = "CA";
  out = RenderHaproxy(lb);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_NE(Find(*out, "/etc/haproxy/haproxy.cfg")->content.find(
                "ssl crt /etc/haproxy/tls/metrics.pem verify required ca-file /etc/haproxy/tls/metrics-client-ca.crt\n"),
            std::string::npos);
  EXPECT_EQ(Find(*out, "/etc/haproxy/tls/metrics-client-ca.crt")->content, "CA");
}

TEST(HostAgents, ChronyFluentBitAndExporter) {
  HostAgents agents;
  agents.chrony = Chrony{{{"10.0.0.1", {"iburst"}}}, {{"pool.example", {"maxsources 3"}}}, "0.5", 3};
  agents.node_exporter = NodeExporter{"[::1]:9100"};
  FluentBit fb;
  fb.service_tag = "etcd";
  fb.service_unit = "etcd.service";
  fb.node_exporter_tag = "node-exporter";
  fb.forward = FluentBitForward{"logs.example", 24224, "etcd-1", "k3y", "CA"};
  agents.fluentbit = fb;
  auto out = RenderHostAgents(agents);
  ASSERT_TRUE(out.ok()) << out.status();
  const std::string& chrony = Find(*out, "/etc/chrony/chrony.conf")->content;
  EXPECT_NE(chrony.find("\nserver 10.0.0.1 iburst\n"), std::string::npos);
  EXPECT_NE(chrony.find("\npool pool.example maxsources 3\n"), std::string::npos);
  EXPECT_NE(chrony.find("\nmakestep 0.5 3\n"), std::string::npos);
  EXPECT_TRUE(Find(*out, "/etc/chrony/chrony.conf")->defer);
  EXPECT_EQ(Find(*out, "/etc/fluent-bit-customization/default-config/fluent-bit-output.conf")->permissions, "0600");
  EXPECT_NE(Find(*out, "/etc/systemd/system/prometheus-node-exporter.service.d/pgha.conf")
                ->content.find("--web.listen-address=[::1]:9100"),
            std::string::npos);

  agents.node_exporter = NodeExporter{":9100 --collector.textfile.directory=/"};
  EXPECT_FALSE(RenderHostAgents(agents).ok());
  agents.node_exporter.reset();
  agents.chrony->servers[0].options = {"iburst\nserver evil"};
  EXPECT_FALSE(RenderHostAgents(agents).ok());
}

// A one-member cluster's member that bootstraps authentication for `user`.
EtcdMember BootstrappingMember(const EtcdUser& user) {
  EtcdMember m;
  m.name = "etcd-1";
  m.ip = "10.0.0.11";
  m.initial_members = {{"etcd-1", "10.0.0.11"}};
  m.bootstrap_auth = true;
  m.users = {user};
  m.peer_allowed_cn = "etcd-member";
  return m;
}

TEST(EtcdRole, ThePeerPortAdmitsOneNameOnly) {
  EtcdMember m = BootstrappingMember({"patroni", "pw", "/service/"});
  auto out = RenderEtcd(m);
  ASSERT_TRUE(out.ok()) << out.status();
  const auto* config = Find(*out, "/etc/etcd/pgha.yml");
  ASSERT_NE(config, nullptr);
  EXPECT_NE(config->content.find("PeerTLSInfo:\n  AllowedCN: \"etcd-member\"\n"), std::string::npos) << config->content;
  EXPECT_EQ(config->content.find("AllowedHostname"), std::string::npos) << config->content;
  m.peer_allowed_cn.clear();
  EXPECT_FALSE(RenderEtcd(m).ok()) << "a member that admits any certificate from the CA";
  m.peer_allowed_hostname = "peers.etcd.internal";
  ASSERT_TRUE(RenderEtcd(m).ok());
  m.peer_allowed_cn = "etcd-member";
  EXPECT_FALSE(RenderEtcd(m).ok()) << "etcd refuses both names at once";
}

TEST(EtcdRole, UsersAreCreatedFromPrivateFiles) {
  EtcdMember m = BootstrappingMember({"patroni", "it's $(secret)", "/service/"});
  auto out = RenderEtcd(m);
  ASSERT_TRUE(out.ok()) << out.status();
  const auto* user = Find(*out, "/etc/etcd/pgha-auth/user-0.env");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->permissions, "0600");
  EXPECT_NE(user->content.find("PASSWORD='it'\\''s $(secret)'"), std::string::npos) << user->content;
  m.users[0].name = "two words";
  EXPECT_FALSE(RenderEtcd(m).ok());
}

TEST(EtcdRole, TheAuthBootstrapScriptRemovesItsSecretsEvenWhenItFails) {
  auto out = RenderEtcd(BootstrappingMember({"patroni", "pw", "/service/"}));
  ASSERT_TRUE(out.ok()) << out.status();
  const auto* script = Find(*out, "/usr/local/sbin/pgha-etcd-bootstrap-auth");
  ASSERT_NE(script, nullptr);
  // The rendered script and its secret files, in a scratch directory; the real
  // etcdctl finds no etcd there, so the script fails half-way.
  char tmpl[] = "/tmp/pgha-auth-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  const std::string dir = root + "/pgha-auth";
  ASSERT_EQ(std::system(("mkdir -m 0700 " + dir).c_str()), 0);
  for (const auto& f : out->files) {
    if (f.path.rfind("/etc/etcd/pgha-auth/", 0) == 0) {
      FILE* file = std::fopen((dir + f.path.substr(f.path.rfind('/'))).c_str(), "w");
      ASSERT_NE(file, nullptr);
      std::fputs(f.content.c_str(), file);
      std::fclose(file);
    }
  }
  FILE* file = std::fopen((root + "/script.sh").c_str(), "w");
  std::fputs(script->content.c_str(), file);
  std::fclose(file);
  const int rc = std::system(("PGHA_AUTH_DIR=" + dir + " PGHA_AUTH_WAIT_SECONDS=1 sh " + root + "/script.sh 2>/dev/null").c_str());
  EXPECT_NE(rc, 0) << "the script should fail without etcd";
  EXPECT_NE(access(dir.c_str(), F_OK), 0) << "secret files outlived a failed bootstrap";
  std::system(("rm -rf " + root).c_str());
}

}  // namespace
}  // namespace pgha::roles
