// pgha_backup_info: what a stanza of a backup repository VM can restore,
// read through the VM's guest agent at every plan.
#pragma once

#include "resources/data_source.h"

namespace pgha::resources {

class BackupInfo final : public DataSource {
 public:
  using DataSource::DataSource;

  void ValidateConfig(const value::Value& config, value::Diagnostics& diags) const override;
  value::Value Read(const Context& ctx, const value::Value& config, value::Diagnostics& diags) const override;
};

}  // namespace pgha::resources
