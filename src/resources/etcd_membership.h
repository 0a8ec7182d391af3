// pgha_etcd_membership: one member of a running etcd cluster whose VM pgha
// does not create. Create = added as a learner and promoted once in sync;
// destroy = removed, never below a healthy quorum. The steps are
// etcd/membership.h's, which pgha_etcd_member shares.
#pragma once

#include "resources/resource.h"

namespace pgha::resources {

class EtcdMembership final : public Resource {
 public:
  using Resource::Resource;

  void ValidateConfig(const value::Value& config, value::Diagnostics& diags) const override;
  void PlanDestroy(const Context& ctx, const value::Value& prior, value::Diagnostics& diags) const override;
  value::Value Create(const Context& ctx, const value::Value& planned, value::Diagnostics& diags) const override;
  value::Value Read(const Context& ctx, const value::Value& state, value::Diagnostics& diags) const override;
  value::Value Update(const Context& ctx, const value::Value& prior, const value::Value& planned,
                      value::Diagnostics& diags) const override;
  void Delete(const Context& ctx, const value::Value& state, value::Diagnostics& diags) const override;
};

}  // namespace pgha::resources
