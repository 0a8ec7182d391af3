// The provider's schemas as data. Each file in schemas/ describes one
// provider, resource or data source; this module parses it into a typed model
// that drives the wire schema, validation, planning and the docs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
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
    kDuration,        // strings: a Go duration ("30m", "1h30m"), at least 1 s
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
// schema pulls in with "include": ["name", ...]. The lookup gives a fragment's
// JSON by name, or null for a name it does not know.
using FragmentLookup = std::function<const nlohmann::json*(std::string_view name)>;
absl::StatusOr<Schema> ParseSchema(std::string_view json_text, const FragmentLookup& fragments);

// A schema document as CMake embeds it from schemas/: its kind and name are
// read from the JSON at build time, so the catalog can list and find schemas
// without parsing any of them.
struct EmbeddedSchema {
  std::string_view file;
  std::string_view kind;  // "provider", "resource", "data_source" or "fragment"
  std::string_view name;
  std::string_view text;
};
const std::vector<EmbeddedSchema>& EmbeddedSchemas();

// The schemas compiled into the binary, or given as documents (tests).
// A schema is parsed the first time it is asked for and kept: a provider
// process that only issues certificates parses one schema, and neither its
// start-up nor a lookup grows with the catalogue. Thread-safe.
class Catalog {
 public:
  // The embedded schemas, parsed lazily. The build already parsed and checked
  // each of them (pgha-wire-schema runs at build time), so a lookup cannot
  // fail on a bad document; if one ever did, that is a build defect and aborts.
  static const Catalog& Embedded();
  // Documents listed by the kind and name given with them, each parsed on first
  // use (Embedded() is this over EmbeddedSchemas(), kept for the process).
  static absl::StatusOr<Catalog> Lazy(const std::vector<EmbeddedSchema>& documents);
  // The embedded schemas, every one parsed and checked now.
  static absl::StatusOr<Catalog> LoadEmbedded();
  // Documents of any kind, every one parsed and checked now.
  static absl::StatusOr<Catalog> FromDocuments(const std::vector<std::string_view>& documents);

  Catalog(Catalog&&) noexcept;
  Catalog& operator=(Catalog&&) noexcept;
  ~Catalog();

  const Schema& provider() const;
  const Schema* resource(std::string_view name) const;
  const Schema* data_source(std::string_view name) const;
  // Type names, sorted.
  const std::vector<std::string>& resource_names() const { return resource_names_; }
  const std::vector<std::string>& data_source_names() const { return data_source_names_; }
  // How many fragment documents have been parsed so far: only those the
  // schemas asked for include.
  size_t parsed_fragments() const;

 private:
  struct Entry;
  struct Fragments;
  Catalog();
  absl::Status Parse(const Entry* entry) const;
  const Schema* Get(const Entry* entry) const;
  absl::Status ParseAll() const;

  std::vector<std::unique_ptr<Entry>> entries_;
  std::unique_ptr<Fragments> fragments_;
  const Entry* provider_ = nullptr;
  std::unique_ptr<absl::flat_hash_map<std::string_view, const Entry*>> resources_;
  std::unique_ptr<absl::flat_hash_map<std::string_view, const Entry*>> data_sources_;
  std::vector<std::string> resource_names_;
  std::vector<std::string> data_source_names_;
};

}  // namespace pgha::schema
