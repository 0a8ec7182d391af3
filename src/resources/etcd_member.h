// pgha_etcd_member: one etcd member as a libvirt VM configured by cloud-init.
#pragma once

#include "resources/resource.h"

namespace pgha::resources {

class EtcdMember final : public Resource {
 public:
  using Resource::Resource;

  void ValidateConfig(const value::Value& config, value::Diagnostics& diags) const override;
  void ModifyPlan(const Context& ctx, const value::Value& prior, const value::Value& config,
                  schema::PlannedChange& plan, value::Diagnostics& diags) const override;
  value::Value Create(const Context& ctx, const value::Value& planned, value::Diagnostics& diags) const override;
  value::Value Read(const Context& ctx, const value::Value& state, value::Diagnostics& diags) const override;
  value::Value Update(const Context& ctx, const value::Value& prior, const value::Value& planned,
                      value::Diagnostics& diags) const override;
  void Delete(const Context& ctx, const value::Value& state, value::Diagnostics& diags) const override;
};

}  // namespace pgha::resources
