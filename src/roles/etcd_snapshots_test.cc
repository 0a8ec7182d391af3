// etcd snapshots: the store's per-cluster grants read back with a YAML parser,
// the member's job and timer, and a restore that runs before etcd first starts.
#include "roles/etcd_snapshots.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "gtest/gtest.h"
#include "roles/etcd.h"
#include "roles/pgbackrest.h"
#include "roles/role_test_support.h"

namespace pgha::roles {
namespace {

std::vector<std::string> Seq(const YAML::Node& node) {
  std::vector<std::string> out;
  for (const auto& item : node) out.push_back(item.as<std::string>());
  return out;
}

TEST(SnapshotStore, EachClusterAdmitsItsMembersAndARestoredClusterReadsItsSource) {
  RolePieces out;
  ASSERT_TRUE(AddSnapshotStore("10.0.0.40", 8433,
                               {{"main", {"etcd-member"}, 24, ""}, {"restored", {"etcd-new", "etcd-member"}, 5, "main"}},
                               out)
                  .ok());
  const auto* main = Find(out, "/etc/pgha/snapshot-store/main.yml");
  const auto* restored = Find(out, "/etc/pgha/snapshot-store/restored.yml");
  ASSERT_NE(main, nullptr);
  ASSERT_NE(restored, nullptr);
  const YAML::Node m = YAML::Load(main->content);
  EXPECT_EQ(Seq(m["writers"]), std::vector<std::string>({"etcd-member"}));
  // The restored cluster's CNs read the source and never write it.
  EXPECT_EQ(Seq(m["readers"]), std::vector<std::string>({"etcd-new", "etcd-member"}));
  EXPECT_EQ(m["retention"].as<int>(), 24);
  const YAML::Node r = YAML::Load(restored->content);
  EXPECT_EQ(Seq(r["writers"]), std::vector<std::string>({"etcd-new", "etcd-member"}));
  EXPECT_TRUE(Seq(r["readers"]).empty());
  const YAML::Node store = YAML::Load(Find(out, "/etc/pgha/snapshot-store.yml")->content);
  EXPECT_EQ(store["address"].as<std::string>(), "10.0.0.40");
  EXPECT_EQ(store["port"].as<int>(), 8433);
  EXPECT_EQ(store["root"].as<std::string>(), kSnapshotStorePath);
  EXPECT_NE(std::find(out.runcmd.begin(), out.runcmd.end(),
                      std::vector<std::string>{"systemctl", "restart", "pgha-snapshot-store"}),
            out.runcmd.end());
}

TEST(SnapshotStore, NoClusterMeansNoStore) {
  RolePieces out;
  ASSERT_TRUE(AddSnapshotStore("10.0.0.40", 8433, {}, out).ok());
  EXPECT_TRUE(out.files.empty());
  EXPECT_TRUE(out.runcmd.empty());
}

TEST(SnapshotStore, ACnCannotAddAnEntryToTheGrants) {
  RolePieces out;
  // A CN is a YAML scalar, emitted through yaml-cpp: whatever it holds, it stays one list item.
  ASSERT_TRUE(AddSnapshotStore("10.0.0.40", 8433, {{"main", {"a\nreaders: [x]"}, 3, ""}}, out).ok());
  const YAML::Node m = YAML::Load(Find(out, "/etc/pgha/snapshot-store/main.yml")->content);
  EXPECT_EQ(Seq(m["writers"]), std::vector<std::string>({"a\nreaders: [x]"}));
  EXPECT_TRUE(Seq(m["readers"]).empty());
}

TEST(SnapshotStore, TheRepositoryServesItBesidePgBackRest) {
  BackupRepository r = SampleRepository();
  r.snapshot_port = 8433;
  r.etcd_clusters = {{"etcd", {"etcd-member"}, 24, ""}};
  auto out = RenderBackupRepository(r);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_NE(Find(*out, "/usr/local/sbin/pgha-snapshot-store"), nullptr);
  ASSERT_NE(Find(*out, "/etc/pgha/snapshot-store/etcd.yml"), nullptr);
}

MemberSnapshots Snapshots() {
  MemberSnapshots s;
  s.repository_name = "backup-1";
  s.repository_address = "10.0.0.40";
  s.repository_port = 8433;
  s.cluster = "main";
  s.schedule = "hourly";
  s.root_cert = "ROOT CERT";
  s.root_key = "ROOT KEY";
  return s;
}

TEST(MemberSnapshots, TheJobItsTimerAndTheRootKeyKeptPrivate) {
  auto out = RenderMemberSnapshots(Snapshots());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->restore_step.empty());
  const auto* key = Find(out->pieces, "/etc/pgha/etcd-snapshot/root.key");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->permissions, "0600");
  EXPECT_EQ(key->owner, "root:root");
  const YAML::Node config = YAML::Load(Find(out->pieces, "/etc/pgha/etcd-snapshot.yml")->content);
  EXPECT_EQ(config["repository_name"].as<std::string>(), "backup-1");
  EXPECT_EQ(config["repository_port"].as<int>(), 8433);
  EXPECT_EQ(config["cluster"].as<std::string>(), "main");
  EXPECT_FALSE(config["restore_cluster"]);
  const auto* timer = Find(out->pieces, "/etc/systemd/system/pgha-etcd-snapshot.timer");
  ASSERT_NE(timer, nullptr);
  EXPECT_NE(timer->content.find("OnCalendar=hourly\n"), std::string::npos);
}

TEST(MemberSnapshots, ABadScheduleOrSnapshotNameIsRefused) {
  MemberSnapshots s = Snapshots();
  s.schedule = "hourly\nExecStart=/bin/sh";
  EXPECT_FALSE(RenderMemberSnapshots(s).ok());
  s = Snapshots();
  s.restore = SnapshotRestore{"old", "../../etc/shadow"};
  EXPECT_FALSE(RenderMemberSnapshots(s).ok());
}

TEST(MemberSnapshots, SnapshotNames) {
  EXPECT_TRUE(IsSnapshotName("20261204T083000Z-r1234.db"));
  EXPECT_FALSE(IsSnapshotName("20261204T083000Z-r1234.db.part"));
  EXPECT_FALSE(IsSnapshotName("20261204-083000Z-r1.db"));
  EXPECT_FALSE(IsSnapshotName("../20261204T083000Z-r1.db"));
  EXPECT_FALSE(IsSnapshotName(""));
}

EtcdMember Member() {
  EtcdMember m;
  m.name = "etcd-1";
  m.ip = "10.0.0.11";
  m.initial_members = {{"etcd-1", "10.0.0.11"}, {"etcd-2", "10.0.0.12"}};
  m.initial_token = "new";
  m.is_initializing = true;
  m.auto_compaction_mode = "revision";
  m.auto_compaction_retention = "1000";
  m.heartbeat_interval_ms = 100;
  m.election_timeout_ms = 1000;
  m.ca_cert = "CA";
  m.server_cert = "CERT";
  m.server_key = "KEY";
  m.peer_allowed_cn = "etcd-member";
  return m;
}

TEST(MemberSnapshots, ARestoreBuildsTheDataDirectoryBeforeEtcdFirstStarts) {
  EtcdMember m = Member();
  m.snapshots = Snapshots();
  m.snapshots->cluster = "new";
  m.snapshots->restore = SnapshotRestore{"main", "20261204T083000Z-r1234.db"};
  auto out = RenderEtcd(m);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_FALSE(out->runcmd.empty());
  EXPECT_EQ(out->runcmd.front(), (std::vector<std::string>{"/usr/local/sbin/pgha-etcd-snapshot", "restore"}));
  const auto start = std::find(out->runcmd.begin(), out->runcmd.end(),
                               std::vector<std::string>{"systemctl", "restart", "etcd"});
  ASSERT_NE(start, out->runcmd.end());
  const YAML::Node config = YAML::Load(Find(*out, "/etc/pgha/etcd-snapshot.yml")->content);
  EXPECT_EQ(config["restore_cluster"].as<std::string>(), "main");
  EXPECT_EQ(config["restore_snapshot"].as<std::string>(), "20261204T083000Z-r1234.db");
}

TEST(MemberSnapshots, ARestoredMemberNeitherJoinsNorBootstrapsAuthentication) {
  EtcdMember m = Member();
  m.snapshots = Snapshots();
  m.snapshots->restore = SnapshotRestore{"main", "20261204T083000Z-r1234.db"};
  m.bootstrap_auth = true;
  EXPECT_FALSE(RenderEtcd(m).ok());
  m.bootstrap_auth = false;
  m.is_initializing = false;
  EXPECT_FALSE(RenderEtcd(m).ok());
}

}  // namespace
}  // namespace pgha::roles
