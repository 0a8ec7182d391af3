// Reads a known configuration or state through its schema: the one way
// resources read their inputs, and the reason schemas/ is the only place a
// default lives.
//
// A null attribute reads as the schema's default. Terraform keeps an omitted
// block null in the plan (a provider may not invent blocks), so the defaults
// of attributes inside one cannot be planned; they are applied here, from
// the same schema, when the block is read.
//
// A name the schema does not have, or a read of the wrong type, is a
// programming error: it aborts with the name, so a misspelled attribute
// cannot pass any test that renders through it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/schema.h"
#include "value/value.h"

namespace pgha::schema {

class Reader {
 public:
  // `value` is an object of `block`'s type, or null (an omitted block); it
  // must outlive the reader.
  Reader(const Block& block, const value::Value& value);

  // Defaults, else "", 0, false. A number with a fraction rounds to the nearest integer.
  std::string String(std::string_view name) const;
  int64_t Int(std::string_view name) const;
  bool Bool(std::string_view name) const;
  // A number exactly as written (e.g. "0.5"), or its default's text, or "".
  std::string NumberText(std::string_view name) const;
  // A list or set of strings (its default, else empty when null).
  std::vector<std::string> Strings(std::string_view name) const;
  // A map of strings in key order (empty when null).
  std::vector<std::pair<std::string, std::string>> StringMap(std::string_view name) const;

  // True when the schema has this attribute or block (the data sources lack some of the resources').
  bool Has(std::string_view name) const;
  // True when the attribute or block is given (known and not null): before defaults.
  bool IsSet(std::string_view name) const;
  // True when the attribute or block is not known yet (plan time); reads then give defaults.
  bool IsUnknown(std::string_view name) const;
  // The attribute as configured, without defaults; null when unset.
  const value::Value& Raw(std::string_view name) const;

  // A single nested block or nested attribute object; an omitted one reads as its defaults.
  Reader Object(std::string_view name) const;
  // The elements of a list or set nested block or nested attribute.
  std::vector<Reader> Objects(std::string_view name) const;

  // The object as given (null or unknown included), for checks that must tell unknowns apart.
  const value::Value& value() const { return *value_; }
  // Whether this object is given at all, and whether it is known yet.
  bool present() const { return value_->IsKnown(); }
  bool unknown() const { return value_->IsUnknown(); }

 private:
  Reader(const std::vector<Attribute>* attributes, const std::vector<NestedBlock>* blocks, const value::Value& value,
         std::string path);
  const Attribute& FindAttribute(std::string_view name) const;
  const Attribute& FindAttribute(std::string_view name, value::Type::Kind kind) const;
  // The entry as given: null when absent, unknown inside an unknown object.
  const value::Value& Entry(std::string_view name) const;
  // The configured value when known and not null, else the default, else null.
  const value::Value& ValueOrDefault(const Attribute& attribute) const;
  [[noreturn]] void Fail(std::string_view name, std::string_view problem) const;

  const std::vector<Attribute>* attributes_;
  const std::vector<NestedBlock>* blocks_;  // null inside nested attribute objects
  const value::Value* value_;
  std::string path_;  // for the abort message: "patroni" or "" at the top
};

}  // namespace pgha::schema
