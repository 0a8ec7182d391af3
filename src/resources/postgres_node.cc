#include "resources/postgres_node.h"

#include <algorithm>

#include "agent/agent.h"
#include "agent/libvirt_channel.h"
#include "backup/info.h"
#include "base/strings.h"
#include "resources/cert_checks.h"
#include "resources/guest.h"
#include "resources/metrics_tls.h"
#include "resources/restore_check.h"
#include "roles/patroni.h"
#include "value/accessors.h"

namespace pgha::resources {
namespace {

using value::Attr;
using value::Diagnostics;
using value::GetBool;
using value::GetInt;
using value::GetString;
using value::GetStrings;
using value::Path;
using value::Value;

// A known number inside an optional block, with the schema's default when unset; none while unknown.
std::optional<int64_t> KnownInt(const schema::Reader& block, const std::string& name) {
  if (block.unknown() || block.IsUnknown(name)) return std::nullopt;
  return block.Int(name);
}

roles::NodeRestore RestoreOf(const schema::Reader& restore) {
  return {restore.String("stanza"), restore.String("target_time"), restore.String("target_lsn"),
          restore.Bool("target_inclusive"), restore.String("backup_set")};
}

class Postgres final : public Role {
 public:
  std::string noun() const override { return "PostgreSQL node"; }
  health::Service service() const override { return health::Service::kPatroni; }
  roles::LiveEffect LiveEffect(const std::vector<std::string>& changed) const override {
    return roles::PatroniLiveEffect(changed);
  }
  // A Patroni cluster is its scope under its namespace in one DCS.
  std::string ClusterKey(const schema::Reader& config) const override {
    std::vector<std::string> endpoints = config.Object("etcd").Strings("endpoints");
    std::sort(endpoints.begin(), endpoints.end());
    std::string key = pgha::StrCat("patroni|", config.Object("patroni").String("namespace"),
                                   config.Object("patroni").String("scope"), "|");
    for (const auto& e : endpoints) key += e + ",";
    return key;
  }

  void Validate(const schema::Reader& reader, Diagnostics& diags) const override {
    const Value& config = reader.value();
    const Value& patroni = config.GetAttr("patroni");
    const schema::Reader patroni_reader = reader.Object("patroni");
    const auto ttl = KnownInt(patroni_reader, "ttl");
    const auto loop_wait = KnownInt(patroni_reader, "loop_wait");
    const auto retry = KnownInt(patroni_reader, "retry_timeout");
    if (ttl && loop_wait && retry && *loop_wait + 2 * *retry > *ttl) {
      diags.AddError("Patroni timings do not fit in the TTL",
                     pgha::StrCat("loop_wait + 2 * retry_timeout = ", *loop_wait + 2 * *retry, " exceeds ttl = ", *ttl,
                                  ": a leader could lose its lock while still retrying, and two nodes could both act "
                                  "as primary. Raise ttl or lower the others."),
                     Path::Of("patroni").Attr("ttl"));
    }
    const auto sync_count = KnownInt(patroni_reader, "synchronous_node_count");
    const Value& size = patroni.IsKnown() ? patroni.GetAttr("cluster_size") : Value();
    if (sync_count && size.IsKnown() && *sync_count >= GetInt(patroni, "cluster_size")) {
      diags.AddError("Too many synchronous replicas",
                     pgha::StrCat("synchronous_node_count = ", *sync_count, " needs at least ", *sync_count + 1,
                                  " nodes, but cluster_size = ", GetInt(patroni, "cluster_size"),
                                  ". With strict synchronous replication no commit could complete."),
                     Path::Of("patroni").Attr("synchronous_node_count"));
    }
    const Value& etcd = Attr(config, "etcd");
    if (etcd.IsKnown()) {
      const Value& endpoints = etcd.GetAttr("endpoints");
      if (endpoints.IsWhollyKnown() && !endpoints.IsNull()) {
        if (endpoints.Elements().empty()) {
          diags.AddError("No etcd endpoint", "Patroni needs at least one etcd endpoint.", Path::Of("etcd").Attr("endpoints"));
        }
        for (size_t i = 0; i < endpoints.Elements().size(); ++i) {
          const std::string& e = endpoints.Elements()[i].AsString();
          const auto colon = e.rfind(':');
          const bool ok = colon != std::string::npos && colon + 1 < e.size() &&
                          e.find_first_not_of("0123456789", colon + 1) == std::string::npos &&
                          e.find_first_of(" /") == std::string::npos;
          if (!ok) {
            diags.AddError("Invalid etcd endpoint", pgha::StrCat("\"", e, "\" is not <host>:<port>, e.g. 10.0.0.11:2379."),
                           Path::Of("etcd").Attr("endpoints").Index(static_cast<int64_t>(i)));
          }
        }
      }
      ErrorIfCommonName(etcd.GetAttr("client_cert"),
                        "etcd 3.4 answers 400 to any gateway request whose client certificate has a CN while "
                        "authentication is on, and Patroni 3.0 talks to etcd through that gateway. Issue this "
                        "certificate without a CN (subject O/OU only); Patroni's identity comes from its username.",
                        Path::Of("etcd").Attr("client_cert"), diags);
    }
    const std::string ip = AdvertisedIp(reader);
    const Value& postgres = Attr(config, "postgres");
    if (postgres.IsKnown()) {
      const Value& members = postgres.GetAttr("member_addresses");
      if (members.IsNull()) {
        diags.AddWarning("Superuser and replication logins are open to client_networks",
                         "Without postgres.member_addresses, pg_hba admits the postgres superuser and replication "
                         "from every client network, so a leaked superuser password works from any application "
                         "host. List the PostgreSQL nodes' addresses (and an administering host's) there, and give "
                         "applications their own users.",
                         Path::Of("postgres").Attr("member_addresses"));
      } else if (members.IsWhollyKnown()) {
        // Each is an IP or a CIDR network: the schema's ip_or_network validator.
        if (!ip.empty() && !members.Elements().empty()) {
          // Networks may hold it; only a list of bare addresses can be checked here.
          bool self = false;
          for (const auto& m : members.Elements()) self |= m.AsString() == ip || m.AsString().find('/') != std::string::npos;
          if (!self) {
            diags.AddWarning("This node is not among member_addresses",
                             pgha::StrCat(ip, " is missing from postgres.member_addresses: the other nodes would "
                                              "refuse its replication and pg_rewind connections."),
                             Path::Of("postgres").Attr("member_addresses"));
          }
        }
      }
      WarnUnlessCoversIp(postgres.GetAttr("server_cert"), ip, "replicas and clients using verify-full",
                         Path::Of("postgres").Attr("server_cert"), diags);
    }
    const Value& backup = Attr(config, "backup");
    if (backup.IsKnown() && postgres.IsKnown()) {
      // With a repository, pgha owns archiving; a parameter of the user's would fight it.
      const Value& params = postgres.GetAttr("params");
      if (params.IsKnown() && !params.IsNull()) {
        for (const auto& [key, v] : params.Entries()) {
          if (key == "archive_mode" || key == "archive_command" || key == "archive_library" ||
              key == "restore_command" || key == "archive_timeout") {
            diags.AddError("Archiving is set by the backup block",
                           pgha::StrCat("postgres.params sets ", key, ", which the backup block renders for "
                                        "pgBackRest. Remove it (archive_timeout is backup.archive_timeout)."),
                           Path::Of("postgres").Attr("params").Key(key));
          }
        }
      }
      WarnUnlessClientAuth(postgres.GetAttr("server_cert"),
                           "the node pushes WAL to the backup repository with its PostgreSQL certificate",
                           Path::Of("postgres").Attr("server_cert"), diags);
    }
    ValidateRestore(Attr(config, "restore"), backup, diags);
    const Value& exporter = Attr(config, "postgres_exporter");
    if (exporter.IsKnown() && !exporter.IsNull()) {
      ErrorUnlessListenAddress(exporter.GetAttr("listen_address"), "10.0.0.21:9187",
                               Path::Of("postgres_exporter").Attr("listen_address"), diags);
      WarnUnlessMetricsTlsCovers(exporter.GetAttr("tls"), ip, Path::Of("postgres_exporter").Attr("tls"), diags);
    }
    const Value& rest = Attr(config, "rest_api");
    const Value& rest_cert = rest.IsKnown() ? rest.GetAttr("server_cert")
                                            : (postgres.IsKnown() ? postgres.GetAttr("server_cert") : Value());
    const Path rest_path = rest.IsKnown() ? Path::Of("rest_api").Attr("server_cert") : Path::Of("postgres").Attr("server_cert");
    WarnUnlessClientAuth(rest_cert, "Patroni presents its REST API certificate when it calls the other members",
                         rest_path, diags);
  }

  // A restore reads another stanza of the backup block's repository and archives under its own.
  static void ValidateRestore(const Value& restore, const Value& backup, Diagnostics& diags) {
    if (!restore.IsKnown() || restore.IsNull()) return;
    const Path at = Path::Of("restore");
    if (backup.IsNull()) {
      diags.AddError("A restore needs the backup block",
                     "The restored cluster reads the backup from the backup block's repository and archives there "
                     "under its own stanza. Add a backup block with a stanza of its own.",
                     at);
    }
    const Value& source = restore.GetAttr("stanza");
    const Value& own = backup.IsKnown() ? backup.GetAttr("stanza") : Value();
    if (source.IsKnown() && own.IsKnown() && !source.IsNull() && !own.IsNull() && source.AsString() == own.AsString()) {
      diags.AddError("The restored cluster would archive into its source",
                     pgha::StrCat("restore.stanza and backup.stanza are both \"", source.AsString(),
                                  "\": the new cluster's WAL and backups would mix with the source's, whose history "
                                  "it diverges from. Give the restored cluster a stanza of its own in backup.stanza."),
                     at.Attr("stanza"));
    }
    const Value& time = restore.GetAttr("target_time");
    if (time.IsKnown() && !time.IsNull()) {
      if (auto moment = roles::ParseMoment(time.AsString()); !moment.ok()) {
        diags.AddError("Invalid restore target time", std::string(moment.status().message()), at.Attr("target_time"));
      }
    }
    const Value& lsn = restore.GetAttr("target_lsn");
    if (lsn.IsKnown() && !lsn.IsNull() && !roles::IsWalLocation(lsn.AsString())) {
      diags.AddError("Invalid restore target LSN",
                     pgha::StrCat("\"", lsn.AsString(), "\" is not a WAL location: two hexadecimal numbers with a "
                                  "slash, as pg_current_wal_lsn() prints them, e.g. 0/3000060."),
                     at.Attr("target_lsn"));
    }
    const Value& set = restore.GetAttr("backup_set");
    if (set.IsKnown() && !set.IsNull() && !roles::IsBackupLabel(set.AsString())) {
      diags.AddError("Invalid backup set",
                     pgha::StrCat("\"", set.AsString(), "\" is not a backup label, e.g. 20261204-053000F (as "
                                  "pgha_backup_info lists them)."),
                     at.Attr("backup_set"));
    }
  }

  absl::StatusOr<RoleOutput> Render(const schema::Reader& config) const override {
    roles::PatroniNode n;
    const schema::Reader patroni = config.Object("patroni");
    n.name = patroni.IsSet("name") ? patroni.String("name") : config.String("name");
    n.ip = AdvertisedIp(config);
    const schema::Reader postgres = config.Object("postgres");
    n.client_networks = postgres.Strings("client_networks");
    if (n.client_networks.empty()) n.client_networks = {AdvertisedNetwork(config)};
    n.member_addresses = postgres.Strings("member_addresses");
    n.parameters = postgres.StringMap("params");
    n.superuser_password = postgres.String("superuser_password");
    n.replicator_password = postgres.String("replicator_password");
    n.rewind_password = postgres.String("rewind_password");
    n.ca_cert = postgres.String("ca_cert");
    n.server_cert = postgres.String("server_cert");
    n.server_key = GuestKeyPem(postgres.String("server_key"));
    const schema::Reader etcd = config.Object("etcd");
    n.etcd_endpoints = etcd.Strings("endpoints");
    n.etcd_ca_cert = etcd.String("ca_cert");
    n.etcd_username = etcd.String("username");
    n.etcd_password = etcd.String("password");
    n.etcd_client_cert = etcd.String("client_cert");
    n.etcd_client_key = GuestKeyPem(etcd.String("client_key"));
    n.scope = patroni.String("scope");
    n.namespace_ = patroni.String("namespace");
    n.ttl = patroni.Int("ttl");
    n.loop_wait = patroni.Int("loop_wait");
    n.retry_timeout = patroni.Int("retry_timeout");
    n.primary_start_timeout = patroni.Int("primary_start_timeout");
    if (patroni.IsSet("primary_stop_timeout")) n.primary_stop_timeout = patroni.Int("primary_stop_timeout");
    n.watchdog_mode = patroni.String("watchdog");
    n.watchdog_safety_margin = patroni.Int("watchdog_safety_margin");
    const std::string mode = patroni.String("replication");
    n.mode = mode == "asynchronous"  ? roles::ReplicationMode::kAsynchronous
             : mode == "synchronous" ? roles::ReplicationMode::kSynchronous
                                     : roles::ReplicationMode::kSynchronousStrict;
    n.synchronous_node_count = patroni.Int("synchronous_node_count");
    n.maximum_lag_on_failover = patroni.Int("maximum_lag_on_failover");
    n.use_pg_rewind = patroni.Bool("use_pg_rewind");
    n.rest_username = patroni.String("rest_api_username");
    n.rest_password = patroni.String("rest_api_password");
    // Unset, the postgres block's CA, certificate and key serve the REST API too.
    const schema::Reader rest = config.Object("rest_api");
    const schema::Reader& rest_source = rest.present() ? rest : postgres;
    n.rest_ca_cert = rest_source.String("ca_cert");
    n.rest_cert = rest_source.String("server_cert");
    n.rest_key = GuestKeyPem(rest_source.String("server_key"));
    const schema::Reader backup = config.Object("backup");
    if (backup.present()) {
      n.backup = roles::NodeBackup{n.ip,
                                   n.ca_cert,
                                   n.server_cert,
                                   n.server_key,
                                   backup.String("repository_name"),
                                   backup.String("repository_address"),
                                   backup.Int("repository_port"),
                                   backup.String("repository_cn"),
                                   backup.String("stanza")};
      n.archive_timeout = backup.Int("archive_timeout");
      n.replica_from_backup = backup.Bool("replica_from_backup");
    }
    if (const schema::Reader restore = config.Object("restore"); restore.present()) n.restore = RestoreOf(restore);
    if (const schema::Reader exporter = config.Object("postgres_exporter"); exporter.present()) {
      // Unset, the advertised address: metrics are not served on every interface.
      n.exporter = roles::PostgresExporter{
          exporter.IsSet("listen_address") ? exporter.String("listen_address") : roles::HostPort(n.ip, 9187),
          MetricsTlsOf(exporter.Object("tls"))};
    }
    auto pieces = roles::RenderPatroni(n);
    if (!pieces.ok()) return pieces.status();
    return RoleOutput{*std::move(pieces), "patroni", "patroni.service"};
  }

  void AdjustDomain(libvirt::DomainSpec& domain) const override { domain.watchdog_model = "i6300esb"; }

  // A restored cluster's node: its target must be one the repository's backups reach, checked on the
  // repository VM (pgBackRest's info through its guest agent) before this VM is made.
  void Preflight(const schema::Reader& planned, const std::string& uri, std::time_t now, const Cancelled& cancelled,
                 Diagnostics& diags) const override {
    const schema::Reader restore = planned.Object("restore");
    if (!restore.present()) return;
    const roles::NodeRestore target = RestoreOf(restore);
    const std::string repository = planned.Object("backup").String("repository_name");
    const Path repository_path = Path::Of("backup").Attr("repository_name");
    agent::LibvirtChannel channel(uri, "", repository);
    agent::GuestAgent agent(channel, cancelled);
    auto info = backup::ReadInfo(agent, target.stanza);
    if (info.ok() && info->status_code == backup::kMissingStanzaPath) {
      diags.AddError("Unknown stanza",
                     pgha::StrCat("Nothing was created: the repository ", repository, " holds no stanza named \"",
                                  target.stanza, "\" to restore from."),
                     Path::Of("restore").Attr("stanza"));
    } else if (info.ok()) {
      CheckRestoreTarget(*info, target, repository, now, diags);
    } else if (absl::IsNotFound(info.status())) {
      diags.AddWarning("The restore target was not checked",
                       pgha::StrCat("No VM named ", repository, " on ", uri, " (", info.status().message(),
                                    "): a repository pgha does not run is not asked what it holds. If the target "
                                    "is one no backup reaches, the new cluster's first node keeps failing to "
                                    "bootstrap; its Patroni log says why."),
                       repository_path);
    } else {
      diags.AddError("Cannot reach the backup repository",
                     pgha::StrCat("Nothing was created: the restore target could not be checked against ", repository,
                                  ": ", info.status().message()),
                     repository_path);
    }
  }
};

}  // namespace

std::shared_ptr<const Role> PostgresRole() { return std::make_shared<Postgres>(); }

}  // namespace pgha::resources
