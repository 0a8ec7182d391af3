#include "roles/pgbackrest.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <regex>

#include "absl/strings/str_join.h"
#include "base/strings.h"
#include "cloudinit/line_template.h"
#include "cloudinit/yaml_template.h"

namespace pgha::roles {
namespace {

using cloudinit::LineValues;
using cloudinit::RenderEmbeddedLineTemplate;

// A list placeholder of zero or one line.
std::vector<std::string> Optional(bool present, std::string value) {
  if (!present) return {};
  return {std::move(value)};
}

// The per-node lines of a stanza on the repository host: pgBackRest reaches each node's TLS server
// by name (it verifies the certificate's DNS SAN) with the repository's certificate.
absl::StatusOr<std::vector<std::string>> PostgresHostLines(const BackupStanza& stanza) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < stanza.postgres_nodes.size(); ++i) {
    if (auto st = CheckToken("postgres node name", stanza.postgres_nodes[i].name); !st.ok()) return st;
    const std::string pg = pgha::StrCat("pg", i + 1, "-");
    lines.push_back(pgha::StrCat(pg, "host=", stanza.postgres_nodes[i].name));
    lines.push_back(pgha::StrCat(pg, "host-type=tls"));
    lines.push_back(pgha::StrCat(pg, "host-ca-file=/etc/pgbackrest/tls/ca.crt"));
    lines.push_back(pgha::StrCat(pg, "host-cert-file=/etc/pgbackrest/tls/server.crt"));
    lines.push_back(pgha::StrCat(pg, "host-key-file=/etc/pgbackrest/tls/server.key"));
    lines.push_back(pgha::StrCat(pg, "path=", kPostgresDataDir));
  }
  return lines;
}

// The service and timer of one scheduled backup type of a stanza.
absl::Status AddSchedule(const BackupStanza& stanza, const std::string& type, const std::string& schedule,
                         RolePieces& out) {
  if (!IsCalendarExpression(schedule)) {
    return absl::InvalidArgumentError(
        pgha::StrCat("the ", type, " schedule of stanza ", stanza.name, " is not a systemd calendar expression"));
  }
  const LineValues values = {{"stanza", stanza.name}, {"type", type}};
  auto service = RenderEmbeddedLineTemplate("pgbackrest/backup.service", values);
  if (!service.ok()) return service.status();
  auto timer = RenderEmbeddedLineTemplate("pgbackrest/backup.timer",
                                          {{"stanza", stanza.name}, {"type", type}, {"schedule", schedule}});
  if (!timer.ok()) return timer.status();
  const std::string unit = pgha::StrCat("/etc/systemd/system/pgha-backup-", stanza.name, "-", type);
  out.files.push_back({unit + ".service", *service, "root:root", "0644", false});
  out.files.push_back({unit + ".timer", *timer, "root:root", "0644", false});
  out.runcmd.push_back(
      {"systemctl", "enable", "--now", pgha::StrCat("pgha-backup-", stanza.name, "-", type, ".timer")});
  return absl::OkStatus();
}

// A certificate CN as tls-server-auth takes it (<cn>=<stanza>): one INI value, with no '=' (the
// separator) or ',' (the stanza list's).
absl::Status CheckAuthCn(const std::string& what, const std::string& cn) {
  if (auto st = CheckIniValue(what, cn); !st.ok()) return st;
  if (cn.find_first_of("=,") != std::string::npos) {
    return absl::InvalidArgumentError(pgha::StrCat(what, " \"", cn, "\" holds '=' or ','"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckIniValue(const std::string& what, const std::string& value) {
  if (value.empty()) return absl::InvalidArgumentError(pgha::StrCat(what, " is empty"));
  if (value.front() == ' ' || value.back() == ' ') {
    return absl::InvalidArgumentError(pgha::StrCat(what, " begins or ends with a space"));
  }
  for (unsigned char c : value) {
    // The value stays out of the message: it may be a secret.
    if (c < 0x20 || c == 0x7f) return absl::InvalidArgumentError(pgha::StrCat(what, " holds a control character"));
  }
  return absl::OkStatus();
}

bool IsCalendarExpression(const std::string& value) {
  if (value.empty() || value.front() == ' ' || value.back() == ' ') return false;
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
                    c == '*' || c == ':' || c == '-' || c == ',' || c == '.' || c == '/' || c == '~' || c == '+';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<Moment> ParseMoment(const std::string& rfc3339) {
  // Date, 'T' or a space, time, up to 6 fractional digits (PostgreSQL keeps microseconds), zone.
  static const std::regex kForm(
      R"(^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([Zz]|([+-])(\d{2}):?(\d{2})?)?$)");
  std::smatch m;
  if (!std::regex_match(rfc3339, m, kForm)) {
    return absl::InvalidArgumentError(pgha::StrCat(
        "\"", rfc3339, "\" is not a moment in RFC 3339 form, e.g. 2026-12-04T05:30:00Z or 2026-12-04 06:30:00.25+01:00"));
  }
  if (!m[8].matched) {
    return absl::InvalidArgumentError(pgha::StrCat(
        "\"", rfc3339, "\" has no time zone; add one (Z for UTC, or an offset such as +01:00): without it the moment "
        "would be read in the guest's local time"));
  }
  const int year = std::stoi(m[1]), month = std::stoi(m[2]), day = std::stoi(m[3]);
  const int hour = std::stoi(m[4]), minute = std::stoi(m[5]), second = std::stoi(m[6]);
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int days[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > days[month - 1] || hour > 23 || minute > 59 || second > 59) {
    return absl::InvalidArgumentError(pgha::StrCat("\"", rfc3339, "\" is not a valid date and time"));
  }
  std::string zone = "+00:00";
  int64_t offset_seconds = 0;
  if (m[9].matched) {
    const int zone_hours = std::stoi(m[10]);
    const int zone_minutes = m[11].matched ? std::stoi(m[11]) : 0;
    if (zone_hours > 14 || zone_minutes > 59) {
      return absl::InvalidArgumentError(pgha::StrCat("\"", rfc3339, "\" has a time zone offset beyond +-14:00"));
    }
    zone = pgha::StrCat(m[9].str(), m[10].str(), ":", m[11].matched ? m[11].str() : "00");
    offset_seconds = (zone_hours * 3600 + zone_minutes * 60) * (m[9].str() == "-" ? -1 : 1);
  }
  std::tm fields{};
  fields.tm_year = year - 1900;
  fields.tm_mon = month - 1;
  fields.tm_mday = day;
  fields.tm_hour = hour;
  fields.tm_min = minute;
  fields.tm_sec = second;
  return Moment{pgha::StrCat(m[1].str(), "-", m[2].str(), "-", m[3].str(), " ", m[4].str(), ":", m[5].str(), ":",
                             m[6].str(), m[7].matched ? m[7].str() : "", zone),
                static_cast<int64_t>(timegm(&fields)) - offset_seconds};
}

bool IsWalLocation(const std::string& value) {
  static const std::regex kForm(R"(^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$)");
  return std::regex_match(value, kForm);
}

bool IsBackupLabel(const std::string& value) {
  // A full backup's label, or a differential's or incremental's (its full backup's, then its own).
  static const std::regex kForm(R"(^\d{8}-\d{6}F(_\d{8}-\d{6}[DI])?$)");
  return std::regex_match(value, kForm);
}

absl::StatusOr<std::string> RestoreBootstrapCommand(const NodeRestore& r) {
  if (auto st = CheckToken("restore stanza", r.stanza); !st.ok()) return st;
  // Patroni splits the command as a shell would (shlex): every value here is checked, and the one
  // with a space (a moment) is quoted.
  std::string command = pgha::StrCat("/usr/bin/pgbackrest --stanza=", r.stanza, " --delta");
  if (!r.backup_set.empty()) {
    if (!IsBackupLabel(r.backup_set)) {
      return absl::InvalidArgumentError(pgha::StrCat("\"", r.backup_set, "\" is not a backup label, e.g. 20261204-053000F"));
    }
    command += pgha::StrCat(" --set=", r.backup_set);
  }
  if (!r.target_time.empty()) {
    auto moment = ParseMoment(r.target_time);
    if (!moment.ok()) return moment.status();
    command += pgha::StrCat(" --type=time \"--target=", moment->pgbackrest, "\"");
  } else if (!r.target_lsn.empty()) {
    if (!IsWalLocation(r.target_lsn)) {
      return absl::InvalidArgumentError(pgha::StrCat("\"", r.target_lsn, "\" is not a WAL location, e.g. 0/3000060"));
    }
    command += pgha::StrCat(" --type=lsn --target=", r.target_lsn);
  } else {
    // The end of the archive; PostgreSQL promotes there by itself.
    return pgha::StrCat(command, " --type=default restore");
  }
  if (!r.target_inclusive) command += " --target-exclusive";
  return pgha::StrCat(command, " --target-action=promote restore");
}

std::string ArchiveCommand(const std::string& stanza) {
  return pgha::StrCat(kArchivePush, " ", stanza, " %p");
}

std::string RestoreCommand(const std::string& stanza) {
  return pgha::StrCat("pgbackrest --stanza=", stanza, " archive-get %f \"%p\"");
}

std::string ReplicaRestoreCommand(const std::string& stanza) {
  // --delta keeps the files that already match; type=standby leaves it a replica for Patroni to start.
  return pgha::StrCat("/usr/bin/pgbackrest --stanza=", stanza, " --delta --type=standby restore");
}

absl::StatusOr<RolePieces> RenderBackupRepository(const BackupRepository& r) {
  if (auto st = CheckToken("advertised address", r.address); !st.ok()) return st;
  if (r.stanzas.empty()) return absl::InvalidArgumentError("the repository has no stanza");
  const bool encrypted = !r.cipher_passphrase.empty();
  if (encrypted) {
    if (auto st = CheckIniValue("cipher_passphrase", r.cipher_passphrase); !st.ok()) return st;
  }
  // tls-server-auth takes one entry per CN (a later one would replace an earlier): a CN of several
  // stanzas, or one restored from another, lists them all.
  std::vector<std::string> cns;
  std::map<std::string, std::vector<std::string>> stanzas_of;
  const auto grant = [&](const std::string& cn, const std::string& stanza) {
    auto& list = stanzas_of[cn];
    if (list.empty()) cns.push_back(cn);
    if (std::find(list.begin(), list.end(), stanza) == list.end()) list.push_back(stanza);
  };
  std::vector<HostEntry> hosts;
  std::string sections;
  RolePieces out;
  for (const auto& stanza : r.stanzas) {
    hosts.insert(hosts.end(), stanza.postgres_nodes.begin(), stanza.postgres_nodes.end());
    if (auto st = CheckToken("stanza name", stanza.name); !st.ok()) return st;
    for (const auto& cn : stanza.client_cns) {
      if (auto st = CheckAuthCn("client CN", cn); !st.ok()) return st;
      grant(cn, stanza.name);
      if (!stanza.restores_from.empty()) grant(cn, stanza.restores_from);
    }
    if (!stanza.restores_from.empty()) {
      if (auto st = CheckToken("restores_from", stanza.restores_from); !st.ok()) return st;
    }
    auto host_lines = PostgresHostLines(stanza);
    if (!host_lines.ok()) return host_lines.status();
    if (auto st = CheckToken("compress_type", stanza.compress_type); !st.ok()) return st;
    auto section = RenderEmbeddedLineTemplate(
        "pgbackrest/repository-stanza.conf",
        {{"stanza", stanza.name},
         {"postgres_hosts", *host_lines},
         {"retention_full", pgha::StrCat(stanza.retention_full)},
         {"retention_diff", Optional(stanza.retention_diff > 0, pgha::StrCat(stanza.retention_diff))},
         {"compress_type", stanza.compress_type}});
    if (!section.ok()) return section.status();
    sections += *section;
    if (auto st = AddSchedule(stanza, "full", stanza.full_schedule, out); !st.ok()) return st;
    if (!stanza.diff_schedule.empty()) {
      if (auto st = AddSchedule(stanza, "diff", stanza.diff_schedule, out); !st.ok()) return st;
    }
    auto create = RenderEmbeddedLineTemplate("pgbackrest/stanza-create.service", {{"stanza", stanza.name}});
    if (!create.ok()) return create.status();
    const std::string unit = pgha::StrCat("pgha-stanza-create-", stanza.name, ".service");
    out.files.push_back({"/etc/systemd/system/" + unit, *create, "root:root", "0644", false});
    out.runcmd.push_back({"systemctl", "enable", "--now", "--no-block", unit});
  }
  if (auto st = AddSnapshotStore(r.address, r.snapshot_port, r.etcd_clusters, out); !st.ok()) return st;
  std::vector<std::string> auth;
  for (const auto& cn : cns) auth.push_back(pgha::StrCat(cn, "=", absl::StrJoin(stanzas_of[cn], ",")));
  auto config = RenderEmbeddedLineTemplate("pgbackrest/repository.conf",
                                           {{"cipher_type", encrypted ? "aes-256-cbc" : "none"},
                                            {"cipher_pass", Optional(encrypted, r.cipher_passphrase)},
                                            {"address", r.address},
                                            {"port", pgha::StrCat(r.port)},
                                            {"tls_server_auth", auth}});
  if (!config.ok()) return config.status();
  auto names = StaticHosts(hosts);
  if (!names.ok()) return names.status();
  // The names, the repository and its server come before the schedules and the stanzas' creation.
  std::vector<std::vector<std::string>> runcmd = names->runcmd;
  runcmd.insert(runcmd.end(), {
      // The data disk, when there is one, is mounted over the packaged directory: pgBackRest
      // runs as postgres and keeps the repository to itself.
      {"chown", "postgres:postgres", kRepositoryPath},
      {"chmod", "0750", kRepositoryPath},
      {"systemctl", "daemon-reload"},
      {"systemctl", "enable", "pgbackrest"},
      {"systemctl", "restart", "pgbackrest"},
  });
  runcmd.insert(runcmd.end(), out.runcmd.begin(), out.runcmd.end());
  out.runcmd = std::move(runcmd);
  out.data_path = kRepositoryPath;
  out.packages = {"pgbackrest"};
  // pgBackRest reads its configuration (the passphrase with it) as postgres.
  const std::string pg = "root:postgres";
  std::vector<cloudinit::WriteFile> files = {
      {"/etc/pgbackrest/pgbackrest.conf", *config + sections, pg, "0640", true},
      {"/etc/pgbackrest/tls/ca.crt", r.ca_cert, pg, "0644", true},
      {"/etc/pgbackrest/tls/server.crt", r.server_cert, pg, "0644", true},
      {"/etc/pgbackrest/tls/server.key", r.server_key, "postgres:postgres", "0600", true},
  };
  files.insert(files.end(), names->files.begin(), names->files.end());
  files.insert(files.end(), out.files.begin(), out.files.end());
  out.files = std::move(files);
  return out;
}

absl::StatusOr<RolePieces> RenderNodeBackup(const NodeBackup& b, const std::optional<NodeRestore>& restore) {
  if (auto st = CheckToken("repository address", b.repository_address); !st.ok()) return st;
  if (auto st = CheckToken("stanza", b.stanza); !st.ok()) return st;
  if (auto st = CheckAuthCn("repository_cn", b.repository_cn); !st.ok()) return st;
  auto names = StaticHosts({{b.repository_address, b.repository_name}});
  if (!names.ok()) return names.status();
  auto config = RenderEmbeddedLineTemplate("pgbackrest/node.conf",
                                           {{"repository_name", b.repository_name},
                                            {"repository_port", pgha::StrCat(b.repository_port)},
                                            {"address", b.address},
                                            {"tls_server_auth", pgha::StrCat(b.repository_cn, "=", b.stanza)},
                                            {"stanza", b.stanza},
                                            {"data_dir", std::string(kPostgresDataDir)}});
  if (!config.ok()) return config.status();
  std::string text = *config;
  if (restore) {
    if (auto st = CheckToken("restore stanza", restore->stanza); !st.ok()) return st;
    if (restore->stanza == b.stanza) {
      return absl::InvalidArgumentError("a cluster restores from another stanza than the one it archives to");
    }
    auto source = RenderEmbeddedLineTemplate("pgbackrest/node-restore.conf",
                                             {{"source_stanza", restore->stanza},
                                              {"data_dir", std::string(kPostgresDataDir)}});
    if (!source.ok()) return source.status();
    text += *source;
  }
  auto archive_push = cloudinit::EmbeddedTemplate("pgbackrest/pgha-pgbackrest-archive-push");
  if (!archive_push.ok()) return archive_push.status();
  RolePieces out;
  out.packages = {"pgbackrest"};
  out.files = {
      {"/etc/pgbackrest/pgbackrest.conf", text, "root:postgres", "0640", true},
      {"/etc/pgbackrest/tls/ca.crt", b.ca_cert, "root:postgres", "0644", true},
      {"/etc/pgbackrest/tls/node.crt", b.cert, "root:postgres", "0644", true},
      {"/etc/pgbackrest/tls/node.key", b.key, "postgres:postgres", "0600", true},
      {kArchivePush, std::string(*archive_push), "root:root", "0755", false},
  };
  out.Append(*names);
  out.runcmd.push_back({"systemctl", "enable", "pgbackrest"});
  out.runcmd.push_back({"systemctl", "restart", "pgbackrest"});
  return out;
}

}  // namespace pgha::roles
