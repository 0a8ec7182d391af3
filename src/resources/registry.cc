#include "resources/registry.h"

#include <map>

#include "absl/status/status.h"
#include "base/strings.h"
#include "resources/certificate.h"
#include "resources/cloud_init_data_source.h"
#include "resources/etcd_member.h"
#include "resources/etcd_membership.h"
#include "resources/backup_info.h"
#include "resources/backup_repository.h"
#include "resources/haproxy_lb.h"
#include "resources/machine_resource.h"
#include "resources/postgres_node.h"

namespace pgha::resources {
namespace {

template <typename T>
using Factory = std::function<std::shared_ptr<const T>(const schema::Schema&)>;

// Checks both directions: a schema without code, or code without a schema, is a build mistake.
template <typename Slots, typename T>
absl::Status Bind(const std::vector<std::string>& names, std::map<std::string, Factory<T>> factories, Slots& out) {
  for (const auto& name : names) {
    auto it = factories.find(name);
    if (it == factories.end()) return absl::InternalError(pgha::StrCat("no implementation for ", name));
    auto slot = std::make_unique<typename Slots::mapped_type::element_type>();
    slot->make = std::move(it->second);
    out.emplace(name, std::move(slot));
    factories.erase(it);
  }
  if (!factories.empty()) return absl::InternalError(pgha::StrCat("no schema for ", factories.begin()->first));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Registry> Registry::Build(const schema::Catalog& catalog) {
  std::map<std::string, Factory<Resource>> resources = {
      {"pgha_certificate", [](const schema::Schema& s) { return std::make_shared<Certificate>(s); }},
      {"pgha_etcd_membership", [](const schema::Schema& s) { return std::make_shared<EtcdMembership>(s); }},
  };
  std::map<std::string, Factory<DataSource>> data_sources = {
      {"pgha_backup_info", [](const schema::Schema& s) { return std::make_shared<BackupInfo>(s); }},
  };
  // Each role gives a resource and a data source rendering the same documents.
  for (const auto& [name, shared_role] :
       {std::pair<std::string, std::shared_ptr<const Role>>{"pgha_etcd_member", EtcdRole()},
        {"pgha_postgres_node", PostgresRole()},
        {"pgha_haproxy_lb", HaproxyRole()},
        {"pgha_backup_repository", BackupRepositoryRole()}}) {
    // A copy to capture: clang 14 cannot capture a structured binding.
    const std::shared_ptr<const Role> role = shared_role;
    resources.emplace(name, [role](const schema::Schema& s) { return std::make_shared<MachineResource>(s, role); });
    data_sources.emplace(name + "_cloud_init",
                         [role](const schema::Schema& s) { return std::make_shared<CloudInitDataSource>(s, role); });
  }
#ifdef PGHA_BENCH_COPY_SUFFIX
  // Benchmark builds only (PGHA_BENCH_SCHEMA_COPY): each schema's copy is served by the same code.
  for (const auto& [name, make] : std::map(resources)) resources.emplace(name + PGHA_BENCH_COPY_SUFFIX, make);
  for (const auto& [name, make] : std::map(data_sources)) data_sources.emplace(name + PGHA_BENCH_COPY_SUFFIX, make);
#endif
  Registry registry;
  registry.catalog_ = &catalog;
  if (auto s = Bind(catalog.resource_names(), std::move(resources), registry.resources_); !s.ok()) return s;
  if (auto s = Bind(catalog.data_source_names(), std::move(data_sources), registry.data_sources_); !s.ok()) return s;
  return registry;
}

template <typename T>
const T* Registry::Instance(const Slots<T>& slots, std::string_view type_name,
                            const schema::Schema* (schema::Catalog::*lookup)(std::string_view) const,
                            const schema::Catalog& catalog) {
  auto it = slots.find(absl::string_view(type_name.data(), type_name.size()));
  if (it == slots.end()) return nullptr;
  const Slot<T>& slot = *it->second;
  std::call_once(slot.once, [&] { slot.made = slot.make(*(catalog.*lookup)(type_name)); });
  return slot.made.get();
}

const Resource* Registry::Find(std::string_view type_name) const {
  return Instance(resources_, type_name, &schema::Catalog::resource, *catalog_);
}

const DataSource* Registry::FindDataSource(std::string_view type_name) const {
  return Instance(data_sources_, type_name, &schema::Catalog::data_source, *catalog_);
}

}  // namespace pgha::resources
