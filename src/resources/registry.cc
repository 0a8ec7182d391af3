#include "resources/registry.h"

#include <functional>

#include "absl/status/status.h"
#include "base/strings.h"
#include "resources/certificate.h"
#include "resources/cloud_init_data_source.h"
#include "resources/etcd_member.h"
#include "resources/haproxy_lb.h"
#include "resources/machine_resource.h"
#include "resources/postgres_node.h"

namespace pgha::resources {
namespace {

// Checks both directions: a schema without code, or code without a schema, is a build mistake.
template <typename T>
absl::Status Bind(const std::map<std::string, std::shared_ptr<const schema::Schema>, std::less<>>& schemas,
                  const std::map<std::string, std::function<std::shared_ptr<const T>(const schema::Schema&)>>& factories,
                  std::map<std::string, std::shared_ptr<const T>, std::less<>>& out) {
  for (const auto& [name, schema] : schemas) {
    auto it = factories.find(name);
    if (it == factories.end()) return absl::InternalError(pgha::StrCat("no implementation for ", name));
    out.emplace(name, it->second(*schema));
  }
  for (const auto& [name, factory] : factories) {
    if (!schemas.contains(name)) return absl::InternalError(pgha::StrCat("no schema for ", name));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Registry> Registry::Build(const schema::Catalog& catalog) {
  using ResourceFactory = std::function<std::shared_ptr<const Resource>(const schema::Schema&)>;
  using DataSourceFactory = std::function<std::shared_ptr<const DataSource>(const schema::Schema&)>;
  std::map<std::string, ResourceFactory> resources = {
      {"pgha_certificate", [](const schema::Schema& s) { return std::make_shared<Certificate>(s); }},
  };
  std::map<std::string, DataSourceFactory> data_sources;
  // Each role gives a resource and a data source rendering the same documents.
  for (const auto& [name, shared_role] :
       {std::pair<std::string, std::shared_ptr<const Role>>{"pgha_etcd_member", EtcdRole()},
        {"pgha_postgres_node", PostgresRole()},
        {"pgha_haproxy_lb", HaproxyRole()}}) {
    // A copy to capture: clang 14 cannot capture a structured binding.
    const std::shared_ptr<const Role> role = shared_role;
    resources.emplace(name, [role](const schema::Schema& s) { return std::make_shared<MachineResource>(s, role); });
    data_sources.emplace(name + "_cloud_init",
                         [role](const schema::Schema& s) { return std::make_shared<CloudInitDataSource>(s, role); });
  }
  Registry registry;
  if (auto s = Bind(catalog.resources(), resources, registry.resources_); !s.ok()) return s;
  if (auto s = Bind(catalog.data_sources(), data_sources, registry.data_sources_); !s.ok()) return s;
  return registry;
}

const Resource* Registry::Find(std::string_view type_name) const {
  auto it = resources_.find(type_name);
  return it == resources_.end() ? nullptr : it->second.get();
}

const DataSource* Registry::FindDataSource(std::string_view type_name) const {
  auto it = data_sources_.find(type_name);
  return it == data_sources_.end() ? nullptr : it->second.get();
}

}  // namespace pgha::resources
