#include "resources/registry.h"

#include <functional>

#include "absl/status/status.h"
#include "base/strings.h"
#include "resources/certificate.h"
#include "resources/etcd_member.h"

namespace pgha::resources {

absl::StatusOr<Registry> Registry::Build(const schema::Catalog& catalog) {
  using Factory = std::function<std::shared_ptr<const Resource>(const schema::Schema&)>;
  const std::map<std::string, Factory> factories = {
      {"pgha_certificate", [](const schema::Schema& s) { return std::make_shared<Certificate>(s); }},
      {"pgha_etcd_member", [](const schema::Schema& s) { return std::make_shared<EtcdMember>(s); }},
  };
  Registry registry;
  for (const auto& [name, schema] : catalog.resources()) {
    auto it = factories.find(name);
    if (it == factories.end()) return absl::InternalError(pgha::StrCat("no implementation for resource ", name));
    registry.resources_.emplace(name, it->second(*schema));
  }
  for (const auto& [name, factory] : factories) {
    if (!catalog.resource(name)) return absl::InternalError(pgha::StrCat("no schema for resource ", name));
  }
  return registry;
}

const Resource* Registry::Find(std::string_view type_name) const {
  auto it = resources_.find(type_name);
  return it == resources_.end() ? nullptr : it->second.get();
}

}  // namespace pgha::resources
