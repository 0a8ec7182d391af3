// The pgBackRest pieces: the repository's and the nodes' pgbackrest.conf read
// back line by line, the units that back up on a schedule, and Patroni's
// archiving settings read back with a YAML parser.
#include "roles/pgbackrest.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <sstream>

#include "gtest/gtest.h"
#include "roles/patroni.h"
#include "roles/role_test_support.h"

namespace pgha::roles {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool Has(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

TEST(BackupRepositoryRole, EachNodeReachesItsOwnStanzaAndIsBackedUpByName) {
  auto out = RenderBackupRepository(SampleRepository());
  ASSERT_TRUE(out.ok()) << out.status();
  const auto* conf = Find(*out, "/etc/pgbackrest/pgbackrest.conf");
  ASSERT_NE(conf, nullptr);
  EXPECT_EQ(conf->permissions, "0640");
  EXPECT_EQ(conf->owner, "root:postgres");
  const auto lines = Lines(conf->content);
  EXPECT_TRUE(Has(lines, "tls-server-address=10.0.0.40"));
  EXPECT_TRUE(Has(lines, "tls-server-auth=pg-1=main"));
  EXPECT_TRUE(Has(lines, "tls-server-auth=pg-2=main"));
  EXPECT_TRUE(Has(lines, "repo1-cipher-type=none"));
  EXPECT_TRUE(std::none_of(lines.begin(), lines.end(), [](const auto& l) { return l.rfind("repo1-cipher-pass", 0) == 0; }));
  EXPECT_TRUE(Has(lines, "[main]"));
  // By name: pgBackRest verifies a server's DNS SAN, never its address.
  EXPECT_TRUE(Has(lines, "pg1-host=pg-1"));
  EXPECT_TRUE(Has(lines, "pg2-host-type=tls"));
  EXPECT_TRUE(Has(lines, "pg2-path=/var/lib/postgresql/data/15"));
  EXPECT_TRUE(Has(lines, "repo1-retention-full=2"));
  EXPECT_FALSE(std::any_of(lines.begin(), lines.end(), [](const auto& l) { return l.rfind("repo1-retention-diff", 0) == 0; }));
  const auto hosts = Lines(Find(*out, "/etc/pgha/hosts")->content);
  EXPECT_TRUE(Has(hosts, "10.0.0.21 pg-1"));
  EXPECT_TRUE(Has(hosts, "10.0.0.22 pg-2"));
  EXPECT_EQ(Find(*out, "/etc/pgbackrest/tls/server.key")->permissions, "0600");
  EXPECT_EQ(out->data_path, "/var/lib/pgbackrest");
  // A full backup on schedule; no differential unless asked.
  const auto timer = Lines(Find(*out, "/etc/systemd/system/pgha-backup-main-full.timer")->content);
  EXPECT_TRUE(Has(timer, "OnCalendar=Sun *-*-* 01:00:00"));
  EXPECT_TRUE(Has(timer, "Persistent=true"));
  EXPECT_EQ(Find(*out, "/etc/systemd/system/pgha-backup-main-diff.timer"), nullptr);
  const auto service = Lines(Find(*out, "/etc/systemd/system/pgha-backup-main-full.service")->content);
  EXPECT_TRUE(Has(service, "User=postgres"));
  EXPECT_TRUE(Has(service, "ExecStart=/usr/bin/pgbackrest --stanza=main --type=full backup"));
  // The names resolve before pgBackRest's server starts; the stanza is created once the cluster answers.
  auto at = [&](const std::vector<std::string>& argv) {
    return std::find(out->runcmd.begin(), out->runcmd.end(), argv) - out->runcmd.begin();
  };
  EXPECT_LT(at({"/usr/local/sbin/pgha-hosts"}), at({"systemctl", "restart", "pgbackrest"}));
  EXPECT_LT(at({"systemctl", "restart", "pgbackrest"}),
            at({"systemctl", "enable", "--now", "--no-block", "pgha-stanza-create-main.service"}));
  EXPECT_LT(at({"systemctl", "enable", "--now", "--no-block", "pgha-stanza-create-main.service"}),
            static_cast<long>(out->runcmd.size()));
}

TEST(BackupRepositoryRole, EncryptionRetentionAndDifferentials) {
  BackupRepository r = SampleRepository();
  r.cipher_passphrase = "a #passphrase; with=signs";
  r.stanzas[0].retention_diff = 7;
  r.stanzas[0].diff_schedule = "*-*-* 02:00:00";
  auto out = RenderBackupRepository(r);
  ASSERT_TRUE(out.ok()) << out.status();
  const auto lines = Lines(Find(*out, "/etc/pgbackrest/pgbackrest.conf")->content);
  EXPECT_TRUE(Has(lines, "repo1-cipher-type=aes-256-cbc"));
  EXPECT_TRUE(Has(lines, "repo1-cipher-pass=a #passphrase; with=signs"));
  EXPECT_TRUE(Has(lines, "repo1-retention-diff=7"));
  EXPECT_TRUE(Has(Lines(Find(*out, "/etc/systemd/system/pgha-backup-main-diff.timer")->content),
                  "OnCalendar=*-*-* 02:00:00"));
}

TEST(BackupRepositoryRole, NoValueCanAddALineOrASection) {
  BackupRepository r = SampleRepository();
  r.cipher_passphrase = "pass\n[evil]";
  EXPECT_FALSE(RenderBackupRepository(r).ok());
  r = SampleRepository();
  r.cipher_passphrase = " padded";
  EXPECT_FALSE(RenderBackupRepository(r).ok());
  r = SampleRepository();
  r.stanzas[0].client_cns = {"pg-1=other"};
  EXPECT_FALSE(RenderBackupRepository(r).ok());
  r = SampleRepository();
  r.stanzas[0].name = "main]\n[x";
  EXPECT_FALSE(RenderBackupRepository(r).ok());
  r = SampleRepository();
  r.stanzas[0].full_schedule = "daily\nExecStart=/bin/sh";
  EXPECT_FALSE(RenderBackupRepository(r).ok());
  r = SampleRepository();
  r.stanzas[0].postgres_nodes[0].name = "pg-1 evil";
  EXPECT_FALSE(RenderBackupRepository(r).ok());
}

TEST(BackupRepositoryRole, CalendarExpressions) {
  for (const char* ok : {"daily", "Sun *-*-* 01:00:00", "Mon..Fri 22:30", "*-*-* 00/6:00:00", "hourly"}) {
    EXPECT_TRUE(IsCalendarExpression(ok)) << ok;
  }
  for (const char* bad : {"", " daily", "daily\n", "daily;rm", "$(x)", "a=b"}) {
    EXPECT_FALSE(IsCalendarExpression(bad)) << bad;
  }
}

PatroniNode NodeWithBackup() {
  PatroniNode n;
  n.name = "pg-1";
  n.ip = "10.0.0.21";
  n.client_networks = {"10.0.0.0/24"};
  n.superuser_password = "s";
  n.replicator_password = "r";
  n.etcd_endpoints = {"10.0.0.11:2379"};
  n.ca_cert = "CA";
  n.server_cert = "CERT";
  n.server_key = "KEY";
  n.backup = NodeBackup{"10.0.0.21", "CA", "CERT", "KEY", "backup-1", "10.0.0.40", 8432, "backup-repository", "main"};
  n.archive_timeout = 60;
  n.replica_from_backup = true;
  return n;
}

TEST(PatroniBackup, ArchivingRestoreAndReplicaCreationGoThroughTheRepository) {
  auto out = RenderPatroni(NodeWithBackup());
  ASSERT_TRUE(out.ok()) << out.status();
  YAML::Node doc = YAML::Load(Find(*out, "/etc/patroni/config.yml")->content);
  const YAML::Node pg = doc["postgresql"];
  EXPECT_EQ(pg["parameters"]["archive_mode"].as<std::string>(), "on");
  EXPECT_EQ(pg["parameters"]["archive_command"].as<std::string>(), "/usr/local/sbin/pgha-pgbackrest-archive-push main %p");
  EXPECT_EQ(pg["parameters"]["archive_timeout"].as<std::string>(), "60s");
  EXPECT_EQ(pg["recovery_conf"]["restore_command"].as<std::string>(), "pgbackrest --stanza=main archive-get %f \"%p\"");
  EXPECT_EQ(pg["create_replica_methods"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"pgbackrest", "basebackup"}));
  EXPECT_EQ(pg["pgbackrest"]["command"].as<std::string>(),
            "/usr/bin/pgbackrest --stanza=main --delta --type=standby restore");
  EXPECT_TRUE(pg["pgbackrest"]["keep_data"].as<bool>());
  EXPECT_TRUE(pg["pgbackrest"]["no_params"].as<bool>());

  const auto lines = Lines(Find(*out, "/etc/pgbackrest/pgbackrest.conf")->content);
  EXPECT_TRUE(Has(lines, "repo1-host=backup-1"));
  EXPECT_TRUE(Has(lines, "repo1-host-type=tls"));
  EXPECT_TRUE(Has(lines, "tls-server-address=10.0.0.21"));
  // The node's server admits the repository's certificate, for this stanza only.
  EXPECT_TRUE(Has(lines, "tls-server-auth=backup-repository=main"));
  EXPECT_TRUE(Has(lines, "pg1-path=/var/lib/postgresql/data/15"));
  EXPECT_EQ(Find(*out, "/etc/pgbackrest/tls/node.key")->permissions, "0600");
  EXPECT_EQ(Find(*out, "/etc/pgbackrest/tls/node.key")->owner, "postgres:postgres");
  EXPECT_TRUE(Has(Lines(Find(*out, "/etc/pgha/hosts")->content), "10.0.0.40 backup-1"));
  // pgBackRest's server runs before Patroni starts PostgreSQL, which archives at once.
  auto at = [&](const std::vector<std::string>& argv) {
    return std::find(out->runcmd.begin(), out->runcmd.end(), argv) - out->runcmd.begin();
  };
  EXPECT_LT(at({"systemctl", "restart", "pgbackrest"}), at({"systemctl", "restart", "patroni"}));
  EXPECT_LT(at({"systemctl", "restart", "patroni"}), static_cast<long>(out->runcmd.size()));
}

TEST(PatroniBackup, NoRepositoryNoArchivingAndReplicasFromTheLeaderOnly) {
  PatroniNode n = NodeWithBackup();
  n.replica_from_backup = false;
  auto out = RenderPatroni(n);
  ASSERT_TRUE(out.ok()) << out.status();
  YAML::Node pg = YAML::Load(Find(*out, "/etc/patroni/config.yml")->content)["postgresql"];
  EXPECT_EQ(pg["parameters"]["archive_mode"].as<std::string>(), "on");
  EXPECT_FALSE(pg["create_replica_methods"].IsDefined());
  EXPECT_FALSE(pg["pgbackrest"].IsDefined());

  n.backup.reset();
  out = RenderPatroni(n);
  ASSERT_TRUE(out.ok()) << out.status();
  pg = YAML::Load(Find(*out, "/etc/patroni/config.yml")->content)["postgresql"];
  EXPECT_FALSE(pg["parameters"]["archive_mode"].IsDefined());
  EXPECT_FALSE(pg["recovery_conf"].IsDefined());
  EXPECT_FALSE(pg["pgbackrest"].IsDefined());
  EXPECT_EQ(Find(*out, "/etc/pgbackrest/pgbackrest.conf"), nullptr);
  EXPECT_TRUE(std::find(out->packages.begin(), out->packages.end(), "pgbackrest") == out->packages.end());
}

TEST(PatroniRestore, TheFirstNodeRestoresTheSourceToTheMomentAndArchivesUnderItsOwnStanza) {
  PatroniNode n = NodeWithBackup();
  n.backup->stanza = "restored";
  n.restore = NodeRestore{"main", "2026-12-04T05:30:00.25Z", "", true, ""};
  auto out = RenderPatroni(n);
  ASSERT_TRUE(out.ok()) << out.status();
  YAML::Node doc = YAML::Load(Find(*out, "/etc/patroni/config.yml")->content);
  const YAML::Node bootstrap = doc["bootstrap"];
  EXPECT_EQ(bootstrap["method"].as<std::string>(), "pgbackrest_restore");
  EXPECT_EQ(bootstrap["pgbackrest_restore"]["command"].as<std::string>(),
            "/usr/bin/pgbackrest --stanza=main --delta --type=time \"--target=2026-12-04 05:30:00.25+00:00\" "
            "--target-action=promote restore");
  EXPECT_TRUE(bootstrap["pgbackrest_restore"]["keep_existing_recovery_conf"].as<bool>());
  EXPECT_TRUE(bootstrap["pgbackrest_restore"]["no_params"].as<bool>());
  // initdb stays for Patroni's own record; the method decides.
  EXPECT_TRUE(bootstrap["initdb"].IsDefined());
  // Archiving, WAL for replicas and replica creation use the new cluster's own stanza.
  const YAML::Node pg = doc["postgresql"];
  EXPECT_EQ(pg["parameters"]["archive_command"].as<std::string>(), "/usr/local/sbin/pgha-pgbackrest-archive-push restored %p");
  EXPECT_EQ(pg["recovery_conf"]["restore_command"].as<std::string>(),
            "pgbackrest --stanza=restored archive-get %f \"%p\"");
  EXPECT_EQ(pg["pgbackrest"]["command"].as<std::string>(),
            "/usr/bin/pgbackrest --stanza=restored --delta --type=standby restore");

  const auto lines = Lines(Find(*out, "/etc/pgbackrest/pgbackrest.conf")->content);
  EXPECT_TRUE(Has(lines, "[restored]"));
  EXPECT_TRUE(Has(lines, "[main]"));
  EXPECT_TRUE(Has(lines, "[main:archive-get]"));
  EXPECT_TRUE(Has(lines, "io-timeout=60"));
  // The node's server still admits the repository for the node's own stanza only.
  EXPECT_TRUE(Has(lines, "tls-server-auth=backup-repository=restored"));
}

TEST(PatroniRestore, TargetsLatestLsnExclusiveAndASet) {
  NodeRestore r{"main", "", "", true, ""};
  EXPECT_EQ(*RestoreBootstrapCommand(r), "/usr/bin/pgbackrest --stanza=main --delta --type=default restore");
  r.target_lsn = "0/3000060";
  r.target_inclusive = false;
  r.backup_set = "20261204-053000F_20261205-010000D";
  EXPECT_EQ(*RestoreBootstrapCommand(r),
            "/usr/bin/pgbackrest --stanza=main --delta --set=20261204-053000F_20261205-010000D --type=lsn "
            "--target=0/3000060 --target-exclusive --target-action=promote restore");
  r.backup_set = "latest; rm -rf /";
  EXPECT_FALSE(RestoreBootstrapCommand(r).ok());
  r.backup_set.clear();
  r.target_lsn = "0/30000 60";
  EXPECT_FALSE(RestoreBootstrapCommand(r).ok());
}

TEST(PatroniRestore, NoNewClusterRestoresIntoItsSourceOrWithoutARepository) {
  PatroniNode n = NodeWithBackup();
  n.restore = NodeRestore{"main", "", "", true, ""};
  EXPECT_FALSE(RenderPatroni(n).ok());  // backup.stanza is "main" too
  n.backup.reset();
  EXPECT_FALSE(RenderPatroni(n).ok());
}

TEST(ParseMoment, RfcMomentsBecomePgbackrestsFormWithTheirZoneAndTheirEpoch) {
  EXPECT_EQ(ParseMoment("2026-12-04T05:30:00Z")->pgbackrest, "2026-12-04 05:30:00+00:00");
  EXPECT_EQ(ParseMoment("2026-12-04 06:30:00.123456+01:00")->pgbackrest, "2026-12-04 06:30:00.123456+01:00");
  EXPECT_EQ(ParseMoment("2024-02-29t23:59:59-0930")->pgbackrest, "2024-02-29 23:59:59-09:30");
  EXPECT_EQ(ParseMoment("2026-12-04T05:30:00+05")->pgbackrest, "2026-12-04 05:30:00+05:00");
  // The same instant, whatever its zone; the fraction does not count.
  EXPECT_EQ(ParseMoment("2026-12-04T05:33:51Z")->epoch, 1796362431);
  EXPECT_EQ(ParseMoment("2026-12-04T06:33:51.9+01:00")->epoch, 1796362431);
  EXPECT_EQ(ParseMoment("2026-12-03 20:03:51-0930")->epoch, 1796362431);
  for (const char* bad : {"2026-12-04T05:30:00", "2026-12-04", "2026-02-29T00:00:00Z", "2026-12-04T24:00:00Z",
                          "2026-12-04T05:30:00.1234567Z", "2026-12-04T05:30:00+15:00", "yesterday",
                          "2026-12-04T05:30:00Z\n[x]"}) {
    EXPECT_FALSE(ParseMoment(bad).ok()) << bad;
  }
  EXPECT_NE(ParseMoment("2026-12-04T05:30:00").status().message().find("no time zone"), std::string::npos);
}

TEST(BackupRepositoryRole, ARestoredClustersNodesMayAlsoReadTheirSource) {
  BackupRepository r = SampleRepository();
  BackupStanza restored = r.stanzas[0];
  restored.name = "restored";
  restored.postgres_nodes = {{"10.0.0.51", "pg-r1"}};
  restored.client_cns = {"pg-r1", "pg-1"};  // pg-1 is in both: one entry lists both stanzas
  restored.restores_from = "main";
  r.stanzas.push_back(restored);
  auto out = RenderBackupRepository(r);
  ASSERT_TRUE(out.ok()) << out.status();
  const auto lines = Lines(Find(*out, "/etc/pgbackrest/pgbackrest.conf")->content);
  EXPECT_TRUE(Has(lines, "tls-server-auth=pg-1=main,restored"));
  EXPECT_TRUE(Has(lines, "tls-server-auth=pg-2=main"));
  EXPECT_TRUE(Has(lines, "tls-server-auth=pg-r1=restored,main"));
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(), [](const auto& l) { return l.rfind("tls-server-auth=pg-1=", 0) == 0; }),
            1);
  EXPECT_TRUE(Has(lines, "[restored]"));
}

}  // namespace
}  // namespace pgha::roles
