#include "schema/schema.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>

#include "absl/status/status.h"
#include "base/strings.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "value/json_codec.h"

namespace pgha::schema {
namespace {

using nlohmann::json;

absl::Status Error(std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(pgha::StrCat(where, ": ", what));
}

// ^[a-z0-9_]+$
bool ValidName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

absl::StatusOr<Nesting> ParseNesting(const json& j, std::string_view where, bool allow_group) {
  if (!j.is_string()) return Error(where, "nesting must be a string");
  const auto& s = j.get_ref<const std::string&>();
  if (s == "single") return Nesting::kSingle;
  if (s == "list") return Nesting::kList;
  if (s == "set") return Nesting::kSet;
  if (s == "map") return Nesting::kMap;
  if (s == "group" && allow_group) return Nesting::kGroup;
  return Error(where, pgha::StrCat("unsupported nesting \"", s, "\""));
}

absl::StatusOr<Validator> ParseValidator(const json& j, std::string_view where) {
  if (!j.is_object() || j.size() != 1) return Error(where, "a validator is an object with one key");
  const auto it = j.begin();
  const std::string& key = it.key();
  const json& arg = it.value();
  Validator v;
  if (key == "one_of") {
    v.kind = Validator::Kind::kOneOf;
    if (!arg.is_array() || arg.empty()) return Error(where, "one_of needs a non-empty list");
    for (const auto& c : arg) v.choices.push_back(c.get<std::string>());
  } else if (key == "at_least" || key == "at_most") {
    v.kind = key == "at_least" ? Validator::Kind::kAtLeast : Validator::Kind::kAtMost;
    if (!arg.is_number()) return Error(where, pgha::StrCat(key, " needs a number"));
    v.bound = arg.get<double>();
  } else if (key == "ip_address") {
    v.kind = Validator::Kind::kIpAddress;
  } else if (key == "ip_or_network") {
    v.kind = Validator::Kind::kIpOrNetwork;
  } else if (key == "dns_name") {
    v.kind = Validator::Kind::kDnsName;
  } else if (key == "pem_certificate") {
    v.kind = Validator::Kind::kPemCertificate;
  } else if (key == "pem_private_key") {
    v.kind = Validator::Kind::kPemPrivateKey;
  } else if (key == "duration") {
    v.kind = Validator::Kind::kDuration;
  } else if (key == "not_empty") {
    v.kind = Validator::Kind::kNotEmpty;
  } else if (key == "unique_by") {
    v.kind = Validator::Kind::kUniqueBy;
    if (!arg.is_string()) return Error(where, "unique_by names one nested attribute");
    v.choices = {arg.get<std::string>()};
  } else {
    return Error(where, pgha::StrCat("unknown validator \"", key, "\""));
  }
  return v;
}

absl::StatusOr<Block> ParseBlock(const json& j, const std::string& where);

absl::StatusOr<std::vector<Attribute>> ParseAttributes(const json& list, const std::string& where) {
  std::vector<Attribute> out;
  std::set<std::string> seen;
  if (list.is_null()) return out;
  if (!list.is_array()) return Error(where, "attributes must be a list");
  for (const auto& a : list) {
    Attribute attr;
    attr.name = a.value("name", "");
    const std::string here = pgha::StrCat(where, ".", attr.name);
    if (!ValidName(attr.name)) return Error(here, "attribute names must match ^[a-z0-9_]+$");
    if (!seen.insert(attr.name).second) return Error(here, "duplicate attribute");
    attr.description = a.value("description", "");
    if (attr.description.empty()) return Error(here, "every attribute needs a description");
    attr.required = a.value("required", false);
    attr.optional = a.value("optional", false);
    attr.computed = a.value("computed", false);
    attr.sensitive = a.value("sensitive", false);
    attr.deprecated = a.value("deprecated", false);
    attr.force_new = a.value("force_new", false);
    attr.stable = a.value("stable", false);
    if (!attr.required && !attr.optional && !attr.computed) {
      return Error(here, "must be required, optional or computed");
    }
    if (attr.required && (attr.optional || attr.computed)) {
      return Error(here, "required excludes optional and computed");
    }
    if (a.contains("nested")) {
      const json& n = a["nested"];
      auto nesting = ParseNesting(n.value("nesting", json("single")), here, /*allow_group=*/false);
      if (!nesting.ok()) return nesting.status();
      auto attrs = ParseAttributes(n.value("attributes", json::array()), here);
      if (!attrs.ok()) return attrs.status();
      auto nested = std::make_shared<NestedObject>();
      nested->nesting = *nesting;
      nested->attributes = *std::move(attrs);
      std::map<std::string, value::Type> types;
      for (const auto& na : nested->attributes) types.emplace(na.name, na.type);
      value::Type object = value::Type::Object(std::move(types));
      switch (nested->nesting) {
        case Nesting::kList:
          attr.type = value::Type::List(object);
          break;
        case Nesting::kSet:
          attr.type = value::Type::Set(object);
          break;
        case Nesting::kMap:
          attr.type = value::Type::Map(object);
          break;
        default:
          attr.type = object;
      }
      attr.nested = std::move(nested);
    } else {
      if (!a.contains("type")) return Error(here, "needs a type or nested attributes");
      auto type = value::Type::FromJson(a["type"]);
      if (!type.ok()) return Error(here, std::string(type.status().message()));
      attr.type = *std::move(type);
    }
    if (a.contains("default")) {
      if (!(attr.optional && attr.computed)) {
        return Error(here, "an attribute with a default must be optional and computed");
      }
      auto def = value::DecodeJson(a["default"], attr.type);
      if (!def.ok()) return Error(here, pgha::StrCat("default: ", def.status().message()));
      attr.default_value = *std::move(def);
    }
    for (const auto& v : a.value("validators", json::array())) {
      auto parsed = ParseValidator(v, here);
      if (!parsed.ok()) return parsed.status();
      if (parsed->kind == Validator::Kind::kUniqueBy) {
        bool found = false;
        if (attr.nested && (attr.nested->nesting == Nesting::kList || attr.nested->nesting == Nesting::kSet)) {
          for (const auto& na : attr.nested->attributes) found |= na.name == parsed->choices[0];
        }
        if (!found) return Error(here, "unique_by needs a list or set of nested objects with that attribute");
      }
      attr.validators.push_back(*std::move(parsed));
    }
    out.push_back(std::move(attr));
  }
  return out;
}

absl::StatusOr<Block> ParseBlock(const json& j, const std::string& where) {
  Block block;
  block.description = j.value("description", "");
  block.deprecated = j.value("deprecated", false);
  auto attrs = ParseAttributes(j.value("attributes", json::array()), where);
  if (!attrs.ok()) return attrs.status();
  block.attributes = *std::move(attrs);
  std::set<std::string> names;
  for (const auto& a : block.attributes) names.insert(a.name);
  // An optional block nested once may appear in a rule too: given or not, like an attribute.
  std::set<std::string, std::less<>> optional_single_blocks;
  for (const auto& b : j.value("blocks", json::array())) {
    if (b.value("nesting", json("single")) == "single" && b.value("min_items", 0) == 0) {
      optional_single_blocks.insert(b.value("name", ""));
    }
  }
  for (const auto& r : j.value("rules", json::array())) {
    if (!r.is_object() || r.size() != 1) return Error(where, "a rule is an object with one key");
    BlockRule rule;
    const std::string key = r.begin().key();
    if (key == "exactly_one_of") {
      rule.kind = BlockRule::Kind::kExactlyOneOf;
    } else if (key == "at_most_one_of") {
      rule.kind = BlockRule::Kind::kAtMostOneOf;
    } else if (key == "together") {
      rule.kind = BlockRule::Kind::kTogether;
    } else if (key == "requires") {
      rule.kind = BlockRule::Kind::kRequires;
    } else {
      return Error(where, pgha::StrCat("unknown rule \"", key, "\""));
    }
    if (!r.begin().value().is_array() || r.begin().value().size() < 2) {
      return Error(where, pgha::StrCat("rule ", key, " names two attributes or more"));
    }
    for (const auto& n : r.begin().value()) {
      if (!n.is_string()) return Error(where, pgha::StrCat("rule ", key, " names attributes by string"));
      const Attribute* a = block.FindAttribute(n.get<std::string>());
      if (a == nullptr && optional_single_blocks.count(n.get<std::string>()) != 0) {
        rule.names.push_back(n.get<std::string>());
        continue;
      }
      if (a == nullptr) {
        return Error(where, pgha::StrCat("rule ", key, " names \"", n.get<std::string>(),
                                         "\", not an attribute or optional single block here"));
      }
      if (a->required) return Error(where, pgha::StrCat("rule ", key, " names required attribute \"", a->name, "\""));
      rule.names.push_back(a->name);
    }
    block.rules.push_back(std::move(rule));
  }
  for (const auto& b : j.value("blocks", json::array())) {
    NestedBlock nb;
    nb.name = b.value("name", "");
    const std::string here = pgha::StrCat(where, ".", nb.name);
    if (!ValidName(nb.name)) return Error(here, "block names must match ^[a-z0-9_]+$");
    if (!names.insert(nb.name).second) return Error(here, "name used twice");
    auto nesting = ParseNesting(b.value("nesting", json("single")), here, /*allow_group=*/true);
    if (!nesting.ok()) return nesting.status();
    nb.nesting = *nesting;
    nb.min_items = b.value("min_items", 0);
    nb.max_items = b.value("max_items", 0);
    nb.force_new = b.value("force_new", false);
    if (nb.nesting == Nesting::kSingle && (nb.min_items > 1 || nb.max_items > 1 || nb.min_items != nb.max_items)) {
      return Error(here, "single blocks take min_items = max_items, 0 or 1");
    }
    if ((nb.nesting == Nesting::kGroup || nb.nesting == Nesting::kMap) && (nb.min_items || nb.max_items)) {
      return Error(here, "group and map blocks take no min_items/max_items");
    }
    if (nb.max_items && nb.min_items > nb.max_items) return Error(here, "min_items > max_items");
    auto inner = ParseBlock(b, here);
    if (!inner.ok()) return inner.status();
    if (inner->description.empty()) return Error(here, "every block needs a description");
    nb.block = std::make_shared<Block>(*std::move(inner));
    block.blocks.push_back(std::move(nb));
  }
  return block;
}

// Terraform forbids dynamic values inside sets.
absl::Status CheckSets(const Block& block, const std::string& where) {
  for (const auto& a : block.attributes) {
    if (a.type.kind() == value::Type::Kind::kSet && a.type.element().HasDynamic()) {
      return Error(pgha::StrCat(where, ".", a.name), "sets may not contain dynamic values");
    }
  }
  for (const auto& b : block.blocks) {
    if (b.nesting == Nesting::kSet && b.block->ImpliedType().HasDynamic()) {
      return Error(pgha::StrCat(where, ".", b.name), "set blocks may not contain dynamic values");
    }
    auto status = CheckSets(*b.block, pgha::StrCat(where, ".", b.name));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

std::string BlockRule::Describe() const {
  std::string list;
  for (const auto& n : names) pgha::StrAppend(&list, list.empty() ? "" : ", ", "`", n, "`");
  switch (kind) {
    case Kind::kExactlyOneOf:
      return pgha::StrCat("exactly one of ", list);
    case Kind::kAtMostOneOf:
      return pgha::StrCat("at most one of ", list);
    case Kind::kTogether:
      return pgha::StrCat("all or none of ", list);
    case Kind::kRequires: {
      std::string rest;
      for (size_t i = 1; i < names.size(); ++i) pgha::StrAppend(&rest, i > 1 ? ", " : "", "`", names[i], "`");
      return pgha::StrCat(rest, " with `", names[0], "`");
    }
  }
  return list;
}

std::string Validator::Describe() const {
  switch (kind) {
    case Kind::kOneOf:
      return pgha::StrCat("one of ", absl::StrJoin(choices, ", ", [](std::string* out, const std::string& c) {
                            pgha::StrAppend(out, "`", c, "`");
                          }));
    case Kind::kAtLeast:
      return pgha::StrCat("at least ", bound);
    case Kind::kAtMost:
      return pgha::StrCat("at most ", bound);
    case Kind::kIpAddress:
      return "an IPv4 or IPv6 address";
    case Kind::kIpOrNetwork:
      return "an IP address or a network in CIDR form (10.0.0.21, 10.0.0.0/24)";
    case Kind::kDnsName:
      return "a DNS name";
    case Kind::kPemCertificate:
      return "a PEM-encoded certificate";
    case Kind::kPemPrivateKey:
      return "a PEM-encoded private key (PKCS#1, PKCS#8 or SEC1)";
    case Kind::kNotEmpty:
      return "not empty";
    case Kind::kDuration:
      return "a duration of at least 1 s, e.g. `90s`, `30m` or `1h30m` (units h, m, s, ms)";
    case Kind::kUniqueBy:
      return pgha::StrCat("unique by `", choices[0], "`");
  }
  return "";
}

value::Type Block::ImpliedType() const {
  std::map<std::string, value::Type> types;
  for (const auto& a : attributes) types.emplace(a.name, a.type);
  for (const auto& b : blocks) {
    value::Type inner = b.block->ImpliedType();
    switch (b.nesting) {
      case Nesting::kSingle:
      case Nesting::kGroup:
        types.emplace(b.name, inner);
        break;
      case Nesting::kList:
        // Terraform implies a tuple when the nested block holds dynamic values.
        types.emplace(b.name, inner.HasDynamic() ? value::Type::Dynamic() : value::Type::List(inner));
        break;
      case Nesting::kSet:
        types.emplace(b.name, value::Type::Set(inner));
        break;
      case Nesting::kMap:
        types.emplace(b.name, inner.HasDynamic() ? value::Type::Dynamic() : value::Type::Map(inner));
        break;
    }
  }
  return value::Type::Object(std::move(types));
}

const Attribute* Block::FindAttribute(std::string_view name) const {
  for (const auto& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

const NestedBlock* Block::FindBlock(std::string_view name) const {
  for (const auto& b : blocks) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

namespace {

// Splices the attributes and blocks of each fragment named in "include"
// ahead of the document's own (in any block, nested ones too), so shared
// inputs are declared once.
absl::Status ApplyIncludes(json& j, const FragmentLookup& fragments) {
  if (!j.contains("include")) {
    // Nested blocks may include fragments of their own (shared attribute groups).
    if (j.contains("blocks")) {
      for (auto& b : j["blocks"]) {
        if (auto s = ApplyIncludes(b, fragments); !s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }
  json attributes = json::array();
  json blocks = json::array();
  for (const auto& name : j["include"]) {
    const json* fragment = name.is_string() ? fragments(name.get<std::string>()) : nullptr;
    if (fragment == nullptr) {
      return Error(j.value("name", "schema"), pgha::StrCat("includes unknown fragment ", name.dump()));
    }
    for (const auto& a : fragment->value("attributes", json::array())) attributes.push_back(a);
    for (const auto& b : fragment->value("blocks", json::array())) blocks.push_back(b);
  }
  for (const auto& a : j.value("attributes", json::array())) attributes.push_back(a);
  for (const auto& b : j.value("blocks", json::array())) blocks.push_back(b);
  j["attributes"] = std::move(attributes);
  j["blocks"] = std::move(blocks);
  j.erase("include");
  return ApplyIncludes(j, fragments);
}

}  // namespace

absl::StatusOr<Schema> ParseSchema(std::string_view json_text) {
  return ParseSchema(json_text, [](std::string_view) -> const json* { return nullptr; });
}

absl::StatusOr<Schema> ParseSchema(std::string_view json_text, const FragmentLookup& fragments) {
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return absl::InvalidArgumentError("schema is not a JSON object");
  try {
    if (auto included = ApplyIncludes(j, fragments); !included.ok()) return included;
    Schema schema;
    schema.name = j.value("name", "");
    if (schema.name.empty() || !ValidName(schema.name)) return Error("schema", "needs a valid name");
    const std::string kind = j.value("kind", "");
    if (kind == "provider") {
      schema.kind = Schema::Kind::kProvider;
    } else if (kind == "resource") {
      schema.kind = Schema::Kind::kResource;
    } else if (kind == "data_source") {
      schema.kind = Schema::Kind::kDataSource;
    } else {
      return Error(schema.name, "kind must be provider, resource or data_source");
    }
    schema.version = j.value("version", 0);
    if (schema.version < 0) return Error(schema.name, "version must not be negative");
    auto block = ParseBlock(j, schema.name);
    if (!block.ok()) return block.status();
    schema.block = *std::move(block);
    if (schema.block.description.empty()) return Error(schema.name, "needs a description");
    auto sets = CheckSets(schema.block, schema.name);
    if (!sets.ok()) return sets;
    schema.type = schema.block.ImpliedType();
    return schema;
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(pgha::StrCat("schema: ", e.what()));
  }
}

struct Catalog::Entry {
  std::string name;
  Schema::Kind kind = Schema::Kind::kResource;
  std::string_view text;  // read only by the first parse
  mutable std::once_flag once;
  mutable absl::StatusOr<std::shared_ptr<const Schema>> parsed = absl::UnknownError("not parsed");
};

// Fragment documents by name, each parsed as JSON once, the first time a
// schema includes it: the provider's schema includes none, so a process that
// only configures the provider parses no fragment however many there are.
struct Catalog::Fragments {
  struct Fragment {
    std::string_view text;
    std::once_flag once;
    json parsed;  // null when the text is not a JSON object
  };
  std::map<std::string, Fragment, std::less<>> by_name;
  std::atomic<size_t> parsed_count{0};

  const json* Find(std::string_view name) {
    auto it = by_name.find(name);
    if (it == by_name.end()) return nullptr;
    Fragment& f = it->second;
    std::call_once(f.once, [&] {
      json j = json::parse(f.text, nullptr, /*allow_exceptions=*/false);
      if (j.is_object()) f.parsed = std::move(j);
      parsed_count.fetch_add(1, std::memory_order_relaxed);
    });
    return f.parsed.is_object() ? &f.parsed : nullptr;
  }
};

Catalog::Catalog()
    : fragments_(std::make_unique<Fragments>()),
      resources_(std::make_unique<absl::flat_hash_map<std::string_view, const Entry*>>()),
      data_sources_(std::make_unique<absl::flat_hash_map<std::string_view, const Entry*>>()) {}
Catalog::Catalog(Catalog&&) noexcept = default;
Catalog& Catalog::operator=(Catalog&&) noexcept = default;
Catalog::~Catalog() = default;

absl::StatusOr<Catalog> Catalog::Lazy(const std::vector<EmbeddedSchema>& documents) {
  Catalog catalog;
  for (const auto& doc : documents) {
    if (doc.kind == "fragment") {
      auto [it, added] = catalog.fragments_->by_name.try_emplace(std::string(doc.name));
      if (!added) return absl::InvalidArgumentError(pgha::StrCat("two fragments named ", doc.name));
      it->second.text = doc.text;
      continue;
    }
    auto entry = std::make_unique<Entry>();
    entry->name = std::string(doc.name);
    entry->text = doc.text;
    if (doc.kind == "provider") {
      if (catalog.provider_ != nullptr) return absl::InvalidArgumentError("two provider schemas");
      entry->kind = Schema::Kind::kProvider;
      catalog.provider_ = entry.get();
    } else if (doc.kind == "resource" || doc.kind == "data_source") {
      entry->kind = doc.kind == "resource" ? Schema::Kind::kResource : Schema::Kind::kDataSource;
      auto& index = entry->kind == Schema::Kind::kResource ? *catalog.resources_ : *catalog.data_sources_;
      if (!index.emplace(entry->name, entry.get()).second) {
        return absl::InvalidArgumentError(pgha::StrCat("two schemas named ", entry->name));
      }
      (entry->kind == Schema::Kind::kResource ? catalog.resource_names_ : catalog.data_source_names_)
          .push_back(entry->name);
    } else {
      return absl::InvalidArgumentError(pgha::StrCat(doc.file, ": unknown kind \"", doc.kind, "\""));
    }
    catalog.entries_.push_back(std::move(entry));
  }
  if (catalog.provider_ == nullptr) return absl::InvalidArgumentError("no provider schema");
  std::sort(catalog.resource_names_.begin(), catalog.resource_names_.end());
  std::sort(catalog.data_source_names_.begin(), catalog.data_source_names_.end());
  return catalog;
}

absl::Status Catalog::Parse(const Entry* entry) const {
  std::call_once(entry->once, [&] {
    auto schema = ParseSchema(entry->text, [this](std::string_view name) { return fragments_->Find(name); });
    if (!schema.ok()) {
      entry->parsed = schema.status();
    } else if (schema->name != entry->name || schema->kind != entry->kind) {
      entry->parsed = absl::InvalidArgumentError(
          pgha::StrCat("schema ", schema->name, " is filed as ", entry->name, " of another kind"));
    } else {
      entry->parsed = std::make_shared<const Schema>(*std::move(schema));
    }
  });
  return entry->parsed.status();
}

const Schema* Catalog::Get(const Entry* entry) const {
  if (absl::Status s = Parse(entry); !s.ok()) {
    // Unreachable for the embedded catalog (the build parses every schema)
    // and for the checked ones (ParseAll ran); a defect if ever seen.
    std::fprintf(stderr, "pgha: internal error: schema %s: %s\n", entry->name.c_str(),
                 std::string(s.message()).c_str());
    std::abort();
  }
  return entry->parsed->get();
}

absl::Status Catalog::ParseAll() const {
  for (const auto& entry : entries_) {
    if (absl::Status s = Parse(entry.get()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

const Catalog& Catalog::Embedded() {
  static const Catalog* catalog = [] {
    auto indexed = Lazy(EmbeddedSchemas());
    if (!indexed.ok()) {
      std::fprintf(stderr, "pgha: internal error: embedded schemas: %s\n",
                   std::string(indexed.status().message()).c_str());
      std::abort();
    }
    return new Catalog(*std::move(indexed));
  }();
  return *catalog;
}

absl::StatusOr<Catalog> Catalog::LoadEmbedded() {
  auto catalog = Lazy(EmbeddedSchemas());
  if (!catalog.ok()) return catalog.status();
  if (auto s = catalog->ParseAll(); !s.ok()) return s;
  return catalog;
}

absl::StatusOr<Catalog> Catalog::FromDocuments(const std::vector<std::string_view>& documents) {
  // Kind and name come from the JSON here; CMake reads them for the embedded ones.
  std::vector<std::string> owned;
  owned.reserve(documents.size());
  std::vector<EmbeddedSchema> described;
  for (const auto& doc : documents) {
    json j = json::parse(doc, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return absl::InvalidArgumentError("a schema document is not a JSON object");
    owned.push_back(j.value("kind", ""));
    owned.push_back(j.value("name", ""));
  }
  for (size_t i = 0; i < documents.size(); ++i) {
    described.push_back({"document", owned[2 * i], owned[2 * i + 1], documents[i]});
  }
  auto catalog = Lazy(described);
  if (!catalog.ok()) return catalog.status();
  if (auto s = catalog->ParseAll(); !s.ok()) return s;
  // Every schema is parsed, with the fragments it includes, and nothing is
  // parsed again: drop the views of the caller's documents, which need not
  // outlive the catalog (a fragment no schema includes is never read).
  for (auto& entry : catalog->entries_) entry->text = {};
  for (auto& [name, fragment] : catalog->fragments_->by_name) fragment.text = {};
  return catalog;
}

const Schema& Catalog::provider() const { return *Get(provider_); }

size_t Catalog::parsed_fragments() const {
  return fragments_->parsed_count.load(std::memory_order_relaxed);
}

const Schema* Catalog::resource(std::string_view name) const {
  auto it = resources_->find(name);
  return it == resources_->end() ? nullptr : Get(it->second);
}

const Schema* Catalog::data_source(std::string_view name) const {
  auto it = data_sources_->find(name);
  return it == data_sources_->end() ? nullptr : Get(it->second);
}

}  // namespace pgha::schema
