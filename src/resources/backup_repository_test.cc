// pgha_backup_repository through the resource as the provider drives it: its
// rules, and the configuration its plan renders, with the defaults from schemas/.
#include "resources/backup_repository.h"

#include "resources/resource_test_support.h"

namespace pgha::resources {
namespace {

constexpr const char* kMinimal = R"({
  "name": "backup-1", "volume_id": "/v.qcow2", "cloud_init_volume_pool": "p",
  "network_interface": [{"network_name": "n", "ip": "10.0.0.40", "prefix_length": 24}],
  "repository": {"ca_cert": "CA", "server_cert": "CERT", "server_key": "KEY",
                 "stanza": [{"name": "main", "postgres_nodes": [{"name": "pg-1", "ip": "10.0.0.21"}],
                             "client_cns": ["pg-1"]}]}})";

class BackupRepositoryTest : public ResourceTest {
 protected:
  const Resource& repository() const { return Get("pgha_backup_repository"); }
  std::string Rendered(const std::string& json, const std::string& path) const {
    value::Diagnostics diags;
    auto plan = PlanCreate(repository(), Config(repository(), json), diags);
    EXPECT_FALSE(diags.HasError());
    const value::Value& user_data = plan.planned.GetAttr("user_data");
    return user_data.IsKnown() ? FileIn(user_data.AsString(), path) : "";
  }
  std::string With(const std::string& stanza_extra) const {
    std::string json = kMinimal;
    json.insert(json.find(R"("client_cns")"), stanza_extra);
    return json;
  }
};

TEST_F(BackupRepositoryTest, TheSchemasDefaultsReachTheRepository) {
  const std::string conf = Rendered(kMinimal, "/etc/pgbackrest/pgbackrest.conf");
  EXPECT_NE(conf.find("tls-server-address=10.0.0.40\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("tls-server-port=8432\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("repo1-retention-full=2\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("compress-type=lz4\n"), std::string::npos) << conf;
  EXPECT_NE(Rendered(kMinimal, "/etc/systemd/system/pgha-backup-main-full.timer").find("OnCalendar=Sun *-*-* 01:00:00"),
            std::string::npos);
}

TEST_F(BackupRepositoryTest, BadStanzasAreDiagnosedOnTheirAttribute) {
  std::string twice = kMinimal;
  const std::string stanza = R"({"name": "main", "postgres_nodes": [{"name": "pg-1", "ip": "10.0.0.21"}], "client_cns": ["pg-1"]})";
  twice.insert(twice.find(R"("stanza": [)") + std::string(R"("stanza": [)").size(), stanza + ", ");
  EXPECT_TRUE(Contains(Diagnose(repository(), Config(repository(), twice)),
                       "Duplicate stanza @ repository.stanza[1].name"));
  EXPECT_TRUE(Contains(Diagnose(repository(), Config(repository(), With(R"("full_schedule": "every sunday; rm", )"))),
                       "Invalid schedule @ repository.stanza[0].full_schedule"));
  EXPECT_TRUE(Contains(Diagnose(repository(), Config(repository(), With(R"("compress_type": "xz", )"))),
                       "repository.stanza[0].compress_type"));
  std::string no_cn = kMinimal;
  no_cn.replace(no_cn.find(R"(["pg-1"])"), 8, "[]");
  EXPECT_TRUE(Contains(Diagnose(repository(), Config(repository(), no_cn)),
                       "Empty list @ repository.stanza[0].client_cns"));
  std::string bad_cn = kMinimal;
  bad_cn.replace(bad_cn.find(R"(["pg-1"])"), 8, R"(["pg-1=x"])");
  EXPECT_TRUE(Contains(Diagnose(repository(), Config(repository(), bad_cn)),
                       "Invalid CN @ repository.stanza[0].client_cns"));
  std::string passphrase = kMinimal;
  passphrase.insert(passphrase.find(R"("stanza")"), R"("cipher_passphrase": "secret\nvalue", )");
  const auto diags = Diagnose(repository(), Config(repository(), passphrase));
  EXPECT_TRUE(Contains(diags, "Invalid passphrase @ repository.cipher_passphrase"));
  EXPECT_FALSE(Contains(diags, "secret"));
  EXPECT_TRUE(Contains(Diagnose(repository(), Config(repository(), With(R"("restores_from": "main", )"))),
                       "A stanza restores from itself @ repository.stanza[0].restores_from"));
}

// A restored cluster's stanza: its nodes read the source stanza too (one tls-server-auth entry per CN).
TEST_F(BackupRepositoryTest, RestoresFromGrantsTheSourceStanzaToTheRestoredNodes) {
  const std::string conf = Rendered(With(R"("restores_from": "old", )"), "/etc/pgbackrest/pgbackrest.conf");
  EXPECT_NE(conf.find("tls-server-auth=pg-1=main,old\n"), std::string::npos) << conf;
}

}  // namespace
}  // namespace pgha::resources
