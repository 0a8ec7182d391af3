// Maps resource and data source type names to their implementations.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "resources/data_source.h"
#include "resources/resource.h"
#include "schema/schema.h"

namespace pgha::resources {

class Registry {
 public:
  // Every schema in the catalog must have an implementation and vice versa.
  static absl::StatusOr<Registry> Build(const schema::Catalog& catalog);

  const Resource* Find(std::string_view type_name) const;
  const DataSource* FindDataSource(std::string_view type_name) const;

 private:
  std::map<std::string, std::shared_ptr<const Resource>, std::less<>> resources_;
  std::map<std::string, std::shared_ptr<const DataSource>, std::less<>> data_sources_;
};

}  // namespace pgha::resources
