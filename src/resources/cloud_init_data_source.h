// pgha_<role>_cloud_init: the documents a role's resource would put on its
// VM's seed, rendered without libvirt, for any compute provider's user_data
// (OpenStack, a cloud, bare metal with a NoCloud drive).
#pragma once

#include <memory>

#include "resources/data_source.h"
#include "resources/role.h"

namespace pgha::resources {

class CloudInitDataSource final : public DataSource {
 public:
  CloudInitDataSource(const schema::Schema& schema, std::shared_ptr<const Role> role)
      : DataSource(schema), role_(std::move(role)) {}

  void ValidateConfig(const value::Value& config, value::Diagnostics& diags) const override;
  value::Value Read(const Context& ctx, const value::Value& config, value::Diagnostics& diags) const override;

 private:
  std::shared_ptr<const Role> role_;
};

}  // namespace pgha::resources
