// Attribute paths: where in a resource's configuration a value lives, e.g.
// `dns_names[0]` or `network_interface[1].ip`. Diagnostics carry them so
// Terraform can point at the offending line.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace pgha::value {

class Path {
 public:
  struct AttrStep {
    std::string name;
    friend bool operator==(const AttrStep&, const AttrStep&) = default;
  };
  struct KeyStep {
    std::string key;
    friend bool operator==(const KeyStep&, const KeyStep&) = default;
  };
  struct IndexStep {
    int64_t index;
    friend bool operator==(const IndexStep&, const IndexStep&) = default;
  };
  using Step = std::variant<AttrStep, KeyStep, IndexStep>;

  Path() = default;
  static Path Root() { return Path(); }
  static Path Of(std::string attribute) { return Path().Attr(std::move(attribute)); }

  Path Attr(std::string name) const;
  Path Key(std::string key) const;
  Path Index(int64_t index) const;

  const std::vector<Step>& steps() const { return steps_; }
  bool empty() const { return steps_.empty(); }
  // HCL-like rendering: a.b[0]["k"].
  std::string ToString() const;

  friend bool operator==(const Path&, const Path&) = default;

 private:
  std::vector<Step> steps_;
};

}  // namespace pgha::value
