// Maps resource and data source type names to their implementations. Each
// implementation, and the schema it is built from, is made the first time its
// type is asked for: a process serving one resource type never parses the
// others' schemas, and a lookup is one hash probe however large the catalogue.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "resources/data_source.h"
#include "resources/resource.h"
#include "schema/schema.h"

namespace pgha::resources {

class Registry {
 public:
  // Every schema in the catalog must have an implementation and vice versa;
  // checked by type name, without parsing any schema. `catalog` must outlive
  // the registry.
  static absl::StatusOr<Registry> Build(const schema::Catalog& catalog);

  const Resource* Find(std::string_view type_name) const;
  const DataSource* FindDataSource(std::string_view type_name) const;

 private:
  template <typename T>
  struct Slot {
    std::function<std::shared_ptr<const T>(const schema::Schema&)> make;
    mutable std::once_flag once;
    mutable std::shared_ptr<const T> made;
  };
  template <typename T>
  using Slots = absl::flat_hash_map<std::string, std::unique_ptr<Slot<T>>>;

  template <typename T>
  static const T* Instance(const Slots<T>& slots, std::string_view type_name, const schema::Schema* (
                               schema::Catalog::*lookup)(std::string_view) const, const schema::Catalog& catalog);

  const schema::Catalog* catalog_ = nullptr;
  Slots<Resource> resources_;
  Slots<DataSource> data_sources_;
};

}  // namespace pgha::resources
