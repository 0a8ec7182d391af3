#include "roles/pieces.h"

#include "gtest/gtest.h"

namespace pgha::roles {
namespace {

TEST(Pieces, HaproxyTimes) {
  for (const char* ok : {"0", "5000", "10s", "250ms", "30us", "1m", "2h", "1d"}) EXPECT_TRUE(IsHaproxyTime(ok)) << ok;
  for (const char* bad : {"", "s", "10 s", "10sec", "-1", "1.5s", "10S", "10ss"}) {
    EXPECT_FALSE(IsHaproxyTime(bad)) << bad;
  }
}

TEST(Pieces, ListenAddresses) {
  for (const char* ok : {"0.0.0.0:5432", ":8008", "[::1]:5432", "[fe80::1]:1", "db-1.example:80", "host:65535"}) {
    EXPECT_TRUE(IsListenAddress(ok)) << ok;
  }
  for (const char* bad : {"", "5432", "host:", "host:123456", "::1:5432", "[]:80", "[::1:80", "ho st:80",
                          "host:8a", "[g::1]:80", "a_b:80"}) {
    EXPECT_FALSE(IsListenAddress(bad)) << bad;
  }
}

TEST(LiveEffect, EtcdReadsItsCertificateLiveButRestartsForItsConfigurationOrCa) {
  EXPECT_TRUE(EtcdLiveEffect({"/etc/etcd/tls/server.crt", "/etc/etcd/tls/server.key"}).commands.empty());
  const LiveEffect config = EtcdLiveEffect({"/etc/etcd/pgha.yml"});
  EXPECT_TRUE(config.disruptive);
  ASSERT_EQ(config.commands.size(), 2u);
  EXPECT_EQ(config.commands[1], (std::vector<std::string>{"/bin/systemctl", "restart", "etcd"}));
  EXPECT_TRUE(EtcdLiveEffect({"/etc/etcd/tls/ca.crt"}).disruptive);
}

// Snapshots come and go without touching etcd: their timer is (re)started, the job reads the rest per run.
TEST(LiveEffect, EtcdSnapshotsChangeWithoutRestartingEtcd) {
  const LiveEffect e = EtcdLiveEffect({"/etc/pgha/etcd-snapshot.yml", "/etc/pgha/etcd-snapshot/root.key",
                                       "/usr/local/sbin/pgha-etcd-snapshot",
                                       "/etc/systemd/system/pgha-etcd-snapshot.timer"});
  EXPECT_FALSE(e.disruptive);
  EXPECT_EQ(e.commands,
            (std::vector<std::vector<std::string>>{{"/bin/systemctl", "daemon-reload"},
                                                   {"/bin/systemctl", "enable", "--now", "pgha-etcd-snapshot.timer"},
                                                   {"/bin/systemctl", "restart", "pgha-etcd-snapshot.timer"}}));
  const LiveEffect store = BackupRepositoryLiveEffect({"/etc/pgha/snapshot-store/main.yml"});
  EXPECT_EQ(store.commands,
            (std::vector<std::vector<std::string>>{{"/bin/systemctl", "enable", "pgha-snapshot-store"},
                                                   {"/bin/systemctl", "restart", "pgha-snapshot-store"}}));
}

TEST(LiveEffect, PatroniAndHaproxyReloadWithoutDowntime) {
  const LiveEffect patroni = PatroniLiveEffect({"/etc/patroni/tls/server.crt", "/etc/patroni/config.yml"});
  EXPECT_FALSE(patroni.disruptive);
  EXPECT_EQ(patroni.commands, (std::vector<std::vector<std::string>>{{"/bin/systemctl", "reload", "patroni"}}));
  const LiveEffect lb = HaproxyLiveEffect({"/etc/haproxy/tls/patroni-client.pem"});
  EXPECT_FALSE(lb.disruptive);
  EXPECT_EQ(lb.commands, (std::vector<std::vector<std::string>>{{"/bin/systemctl", "reload", "haproxy"}}));
  EXPECT_TRUE(HaproxyLiveEffect({"/etc/etcd/pgha.yml"}).commands.empty());
}

// A new launcher or drop-in (a pgha upgrade) restarts Patroni, which stops PostgreSQL: the rolling
// path switches a leader over first. The prepare script beside it is read only at first boot.
TEST(LiveEffect, ANewPatroniLauncherRestartsPatroniOneMemberAtATime) {
  const LiveEffect launcher = PatroniLiveEffect({"/usr/local/sbin/pgha-patroni"});
  EXPECT_TRUE(launcher.disruptive);
  EXPECT_EQ(launcher.commands, (std::vector<std::vector<std::string>>{{"/bin/systemctl", "daemon-reload"},
                                                                      {"/bin/systemctl", "restart", "patroni"}}));
  EXPECT_TRUE(PatroniLiveEffect({"/etc/systemd/system/patroni.service.d/pgha.conf"}).disruptive);
  const LiveEffect prepare = PatroniLiveEffect({"/usr/local/sbin/pgha-patroni-prepare"});
  EXPECT_FALSE(prepare.disruptive);
  EXPECT_TRUE(prepare.commands.empty());
}

TEST(LiveEffect, PgbackrestServersRestartForTheirFilesAndSchedulesForTheirTimers) {
  // A node's pgBackRest server reads its own copy of the certificate at start.
  const LiveEffect node = PatroniLiveEffect({"/etc/patroni/tls/server.crt", "/etc/pgbackrest/tls/node.crt"});
  EXPECT_FALSE(node.disruptive);
  EXPECT_EQ(node.commands, (std::vector<std::vector<std::string>>{{"/bin/systemctl", "reload", "patroni"},
                                                                  {"/bin/systemctl", "restart", "pgbackrest"}}));
  const LiveEffect schedule = BackupRepositoryLiveEffect({"/etc/systemd/system/pgha-backup-main-diff.timer",
                                                          "/etc/systemd/system/pgha-backup-main-diff.service"});
  EXPECT_EQ(schedule.commands,
            (std::vector<std::vector<std::string>>{{"/bin/systemctl", "daemon-reload"},
                                                   {"/bin/systemctl", "enable", "--now", "pgha-backup-main-diff.timer"},
                                                   {"/bin/systemctl", "restart", "pgha-backup-main-diff.timer"}}));
  EXPECT_EQ(BackupRepositoryLiveEffect({"/etc/pgbackrest/pgbackrest.conf"}).commands,
            (std::vector<std::vector<std::string>>{{"/bin/systemctl", "restart", "pgbackrest"}}));
  // A new stanza: the server learns it, and its unit creates it.
  EXPECT_EQ(BackupRepositoryLiveEffect({"/etc/pgbackrest/pgbackrest.conf",
                                        "/etc/systemd/system/pgha-stanza-create-other.service"})
                .commands,
            (std::vector<std::vector<std::string>>{
                {"/bin/systemctl", "daemon-reload"},
                {"/bin/systemctl", "enable", "--now", "--no-block", "pgha-stanza-create-other.service"},
                {"/bin/systemctl", "restart", "pgbackrest"}}));
}

TEST(LiveEffect, AppendKeepsEachCommandOnce) {
  LiveEffect e = HostAgentsLiveEffect({"/etc/chrony/chrony.conf"});
  e.Append(HostAgentsLiveEffect({"/etc/chrony/chrony.conf"}));
  e.Append(EtcdLiveEffect({"/etc/etcd/pgha.yml"}));
  EXPECT_EQ(e.commands.size(), 3u);
  EXPECT_TRUE(e.disruptive);
}

TEST(LiveEffect, ARemovedBlockStopsItsUnitsThenItsFilesGo) {
  // The exporter block taken away: its drop-in, web configuration and role script are gone.
  const std::vector<std::string> removed = {
      "/etc/systemd/system/prometheus-postgres-exporter.service.d/pgha.conf",
      "/etc/prometheus-postgres-exporter/pgha-web.yml", "/usr/local/sbin/pgha-monitor-role"};
  const std::vector<std::string> kept = {"/etc/patroni/config.yml", "/etc/systemd/system/patroni.service.d/pgha.conf"};
  const LiveEffect e = RetireEffect(removed, kept);
  EXPECT_FALSE(e.disruptive);
  ASSERT_EQ(e.commands.size(), 3u);
  // A fixed script, the unit as its argument: a retried apply finds the unit gone and goes on.
  EXPECT_EQ(e.commands[0].front(), "/bin/sh");
  EXPECT_EQ(e.commands[0].back(), "prometheus-postgres-exporter.service");
  EXPECT_NE(e.commands[0][2].find("systemctl disable --now \"$unit\""), std::string::npos);
  EXPECT_NE(e.commands[0][2].find("|| true"), std::string::npos);
  const std::vector<std::string> rm = {"/bin/rm", "-f", "--", removed[0], removed[1], removed[2]};
  EXPECT_EQ(e.commands[1], rm);
  EXPECT_EQ(e.commands[2], (std::vector<std::string>{"/bin/systemctl", "daemon-reload"}));
}

TEST(LiveEffect, ATimerAndItsServiceStopTogetherAndNothingElseDoes) {
  const LiveEffect e = RetireEffect({"/etc/systemd/system/pgha-etcd-snapshot.timer",
                                     "/etc/systemd/system/pgha-etcd-snapshot.service", "/etc/pgha/etcd-snapshot/member.yml"},
                                    {"/etc/etcd/pgha.yml"});
  ASSERT_FALSE(e.commands.empty());
  const std::vector<std::string> units(e.commands[0].begin() + 4, e.commands[0].end());
  EXPECT_EQ(units, (std::vector<std::string>{"pgha-etcd-snapshot.timer", "pgha-etcd-snapshot.service"}));
}

TEST(LiveEffect, ARenamedDropInNeverStopsItsService) {
  // A later pgha renaming Patroni's drop-in must not stop Patroni: the unit keeps a file.
  const LiveEffect e = RetireEffect({"/etc/systemd/system/patroni.service.d/pgha.conf"},
                                    {"/etc/systemd/system/patroni.service.d/10-pgha.conf"});
  ASSERT_EQ(e.commands.size(), 1u);
  EXPECT_EQ(e.commands[0][0], "/bin/rm");
  EXPECT_TRUE(RetireEffect({}, {"/etc/patroni/config.yml"}).commands.empty());
  // A plain file only goes.
  EXPECT_EQ(RetireEffect({"/etc/haproxy/tls/metrics.pem"}, {}).commands.size(), 1u);
}

}  // namespace
}  // namespace pgha::roles
