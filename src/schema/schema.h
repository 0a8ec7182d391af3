// The provider's schemas as data. Each file in schemas/ describes one
// provider, resource or data source; this module parses it into a typed model
// that drives the wire schema, validation, planning and the docs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "value/type.h"
#include "value/value.h"

namespace pgha::schema {

enum class Nesting { kSingle, kList, kSet, kMap, kGroup };

struct Validator {
  enum class Kind {
    kOneOf,           // strings: one of `choices`
    kAtLeast,         // numbers: >= bound
    kAtMost,          // numbers: <= bound
    kIpAddress,       // strings: IPv4 or IPv6 address
    kIpOrNetwork,     // strings: an IP address, or a network in CIDR form
    kDnsName,         // strings: RFC 1123 host name, wildcard label allowed first
    kPemCertificate,  // strings: one or more PEM certificates
    kPemPrivateKey,   // strings: a PEM private key (PKCS#1, PKCS#8 or SEC1)
    kNotEmpty,        // strings: not ""
    kUniqueBy,        // lists or sets of nested objects: no two share `choices[0]`'s value
  };
  Kind kind;
  std::vector<std::string> choices;
  double bound = 0;
  // The human phrase used in docs and diagnostics, e.g. "at least 1".
  std::string Describe() const;
};

struct Attribute;

struct NestedObject {
  Nesting nesting = Nesting::kSingle;  // never kGroup
  std::vector<Attribute> attributes;
};

struct Attribute {
  std::string name;
  value::Type type;  // for nested attributes, the implied type
  std::shared_ptr<const NestedObject> nested;
  std::string description;
  bool required = false;
  bool optional = false;
  bool computed = false;
  bool sensitive = false;
  bool deprecated = false;
  // Changing it replaces the resource.
  bool force_new = false;
  // A computed value that stays what it was across in-place updates.
  bool stable = false;
  std::optional<value::Value> default_value;
  // Applied to the value; for collections of primitives, to each element.
  std::vector<Validator> validators;
};

struct Block;

struct NestedBlock {
  std::string name;
  Nesting nesting = Nesting::kSingle;
  int64_t min_items = 0;
  int64_t max_items = 0;
  bool force_new = false;
  std::shared_ptr<const Block> block;
};

// A rule over several attributes of one block, checked where the block is
// present and the attributes it names are known.
struct BlockRule {
  enum class Kind {
    kExactlyOneOf,  // exactly one of `names` is set
    kAtMostOneOf,   // at most one of `names` is set
    kTogether,      // all of `names` are set, or none
    kRequires,      // when names[0] is set, so are the others
  };
  Kind kind;
  std::vector<std::string> names;
  // The human phrase used in docs and diagnostics, e.g. "exactly one of `a`, `b`".
  std::string Describe() const;
};

struct Block {
  std::string description;
  bool deprecated = false;
  std::vector<Attribute> attributes;
  std::vector<BlockRule> rules;
  std::vector<NestedBlock> blocks;

  value::Type ImpliedType() const;
  const Attribute* FindAttribute(std::string_view name) const;
  const NestedBlock* FindBlock(std::string_view name) const;
};

struct Schema {
  enum class Kind { kProvider, kResource, kDataSource };
  std::string name;  // type name, e.g. "pgha_certificate"; "pgha" for the provider
  Kind kind = Kind::kResource;
  int64_t version = 0;
  Block block;
  value::Type type;  // block.ImpliedType(), computed once
};

// Parses one schemas/*.json document and checks it against the rules
// Terraform applies to every schema it loads, so a mistake fails our build
// and tests instead of crashing a user's Terraform.
absl::StatusOr<Schema> ParseSchema(std::string_view json_text);
// With fragments: documents of kind "fragment" whose attributes and blocks a
// schema pulls in with "include": ["name", ...].
absl::StatusOr<Schema> ParseSchema(std::string_view json_text,
                                   const std::map<std::string, nlohmann::json, std::less<>>& fragments);

// All schemas compiled into the binary.
class Catalog {
 public:
  static absl::StatusOr<Catalog> LoadEmbedded();
  static absl::StatusOr<Catalog> FromDocuments(const std::vector<std::string_view>& documents);

  const Schema& provider() const { return *provider_; }
  const Schema* resource(std::string_view name) const;
  const Schema* data_source(std::string_view name) const;
  const std::map<std::string, std::shared_ptr<const Schema>, std::less<>>& resources() const { return resources_; }
  const std::map<std::string, std::shared_ptr<const Schema>, std::less<>>& data_sources() const {
    return data_sources_;
  }

 private:
  std::shared_ptr<const Schema> provider_;
  std::map<std::string, std::shared_ptr<const Schema>, std::less<>> resources_;
  std::map<std::string, std::shared_ptr<const Schema>, std::less<>> data_sources_;
};

// The raw documents CMake embeds from schemas/ (file name, content).
const std::vector<std::pair<std::string_view, std::string_view>>& EmbeddedSchemaDocuments();

}  // namespace pgha::schema
