#include "resources/backup_info.h"

#include "agent/agent.h"
#include "agent/libvirt_channel.h"
#include "backup/info.h"
#include "base/strings.h"
#include "resources/vm_common.h"
#include "schema/plan.h"
#include "schema/reader.h"

namespace pgha::resources {

using value::Diagnostics;
using value::Path;
using value::Value;

void BackupInfo::ValidateConfig(const Value&, Diagnostics&) const {}

Value BackupInfo::Read(const Context& ctx, const Value& config, Diagnostics& diags) const {
  Value state = schema::PlanChange(schema(), Value(), config, config).planned;
  const schema::Reader reader(schema().block, state);
  const std::string name = reader.String("repository");
  const std::string stanza = reader.String("stanza");
  agent::LibvirtChannel channel(ResolveUri(reader.String("uri"), ctx), "", name);
  agent::GuestAgent agent(channel, [&ctx] { return ctx.cancel.cancelled(); });
  auto info = backup::ReadInfo(agent, stanza);
  if (!info.ok()) {
    diags.AddError("Cannot read the backup repository",
                   pgha::StrCat("pgBackRest's info from ", channel.Describe(), ": ", info.status().message()),
                   Path::Of("repository"));
    return Value::Null(schema().type);
  }
  if (info->status_code == backup::kMissingStanzaPath) {
    // Not an error: a stanza is created once its cluster has a leader, which may be later.
    diags.AddWarning("No such stanza yet",
                     pgha::StrCat("The repository ", name, " holds no stanza named \"", stanza,
                                  "\" (pgBackRest: ", info->status, "). Its `stanza` blocks name the ones it "
                                  "will hold; each is created once its cluster's leader answers."),
                     Path::Of("stanza"));
  }
  const value::Type& backup_type = schema().type.attributes().at("backups").element();
  std::vector<Value> backups;
  for (const auto& b : info->backups) {
    backups.push_back(Value::Object({
        {"label", Value::String(b.label)},
        {"type", Value::String(b.type)},
        {"prior", Value::String(b.prior)},
        {"start_time", Value::String(backup::Rfc3339(b.start_epoch))},
        {"stop_time", Value::String(backup::Rfc3339(b.stop_epoch))},
        {"database_size", Value::Int(b.database_size)},
        {"repository_size", Value::Int(b.repository_size)},
        {"wal_start", Value::String(b.wal_start)},
        {"wal_stop", Value::String(b.wal_stop)},
    }));
  }
  const bool any = !info->backups.empty();
  state = state.WithAttr("status", Value::String(info->status));
  state = state.WithAttr("cipher", Value::String(info->cipher));
  state = state.WithAttr("backups", Value::List(backup_type, std::move(backups)));
  state = state.WithAttr("earliest_restorable_time",
                         Value::String(any ? backup::Rfc3339(info->backups.front().stop_epoch) : ""));
  state = state.WithAttr("latest_backup_time",
                         Value::String(any ? backup::Rfc3339(info->backups.back().stop_epoch) : ""));
  state = state.WithAttr("wal_min", Value::String(info->wal_min));
  state = state.WithAttr("wal_max", Value::String(info->wal_max));
  return state;
}

}  // namespace pgha::resources
