#include "schema/plan.h"

namespace pgha::schema {
namespace {

using value::Path;
using value::Value;

const Value& AttrOrNull(const Value& obj, const std::string& name, const Value& fallback) {
  if (!obj.IsKnown()) return fallback;
  auto it = obj.Entries().find(name);
  return it == obj.Entries().end() ? fallback : it->second;
}

Value PlanBlock(const Block& block, const Value& prior, const Value& proposed, const Value& config, bool changed);

// Element-wise planning for nested blocks.
Value PlanNestedBlock(const NestedBlock& nb, const Value& prior, const Value& proposed, const Value& config,
                      bool changed) {
  if (!proposed.IsKnown()) return proposed;
  switch (nb.nesting) {
    case Nesting::kSingle:
    case Nesting::kGroup:
      return PlanBlock(*nb.block, prior, proposed, config, changed);
    case Nesting::kList: {
      if (proposed.type().kind() != value::Type::Kind::kList) return proposed;
      std::vector<Value> out;
      const Value null_value;
      for (size_t i = 0; i < proposed.Elements().size(); ++i) {
        const Value& p = prior.IsKnown() && i < prior.Elements().size() ? prior.Elements()[i] : null_value;
        const Value& c = config.IsKnown() && i < config.Elements().size() ? config.Elements()[i] : null_value;
        out.push_back(PlanBlock(*nb.block, p, proposed.Elements()[i], c, changed));
      }
      return Value::List(proposed.type().element(), std::move(out));
    }
    case Nesting::kMap: {
      if (proposed.type().kind() != value::Type::Kind::kMap) return proposed;
      std::map<std::string, Value> out;
      const Value null_value;
      for (const auto& [k, e] : proposed.Entries()) {
        const Value& p = prior.IsKnown() && prior.Entries().contains(k) ? prior.Entries().at(k) : null_value;
        const Value& c = config.IsKnown() && config.Entries().contains(k) ? config.Entries().at(k) : null_value;
        out.emplace(k, PlanBlock(*nb.block, p, e, c, changed));
      }
      return Value::Map(proposed.type().element(), std::move(out));
    }
    case Nesting::kSet:
      // Set elements have no identity to match prior ones by; Terraform's proposal stands.
      return proposed;
  }
  return proposed;
}

Value PlanBlock(const Block& block, const Value& prior, const Value& proposed, const Value& config, bool changed) {
  if (!proposed.IsKnown()) return proposed;
  const Value null_value;
  std::map<std::string, Value> out = proposed.Entries();
  for (const auto& a : block.attributes) {
    const Value& c = AttrOrNull(config, a.name, null_value);
    if (!c.IsNull()) continue;  // configured: Terraform's proposal is the config value
    Value& v = out[a.name];
    if (a.default_value) {
      v = *a.default_value;
    } else if (a.computed && changed && (prior.IsNull() || !a.stable)) {
      v = Value::Unknown(a.type);
    }
  }
  for (const auto& nb : block.blocks) {
    out[nb.name] = PlanNestedBlock(nb, AttrOrNull(prior, nb.name, null_value), out[nb.name],
                                   AttrOrNull(config, nb.name, null_value), changed);
  }
  return Value::Object(std::move(out));
}

// Defaults only: what the planned value is when nothing computed changes.
Value ApplyDefaults(const Block& block, const Value& proposed, const Value& config) {
  return PlanBlock(block, Value(), proposed, config, /*changed=*/false);
}

void CollectReplace(const Block& block, const Value& prior, const Value& planned, const Path& path,
                    std::vector<Path>& out) {
  if (!prior.IsKnown() || !planned.IsKnown()) return;
  for (const auto& a : block.attributes) {
    if (!a.force_new) continue;
    const Value& before = prior.GetAttr(a.name);
    const Value& after = planned.GetAttr(a.name);
    if (!after.IsWhollyKnown() || !(before == after)) out.push_back(path.Attr(a.name));
  }
  for (const auto& nb : block.blocks) {
    const Value& before = prior.GetAttr(nb.name);
    const Value& after = planned.GetAttr(nb.name);
    const Path here = path.Attr(nb.name);
    if (nb.force_new) {
      if (!after.IsWhollyKnown() || !(before == after)) out.push_back(here);
      continue;
    }
    switch (nb.nesting) {
      case Nesting::kSingle:
      case Nesting::kGroup:
        CollectReplace(*nb.block, before, after, here, out);
        break;
      case Nesting::kList:
        if (before.IsKnown() && after.IsKnown()) {
          if (before.Elements().size() != after.Elements().size()) {
            // Elements added or removed: a force_new attribute inside changes by definition.
            bool any_force_new = false;
            for (const auto& a : nb.block->attributes) any_force_new |= a.force_new;
            if (any_force_new) out.push_back(here);
            break;
          }
          for (size_t i = 0; i < after.Elements().size(); ++i) {
            CollectReplace(*nb.block, before.Elements()[i], after.Elements()[i], here.Index(static_cast<int64_t>(i)),
                           out);
          }
        }
        break;
      case Nesting::kMap:
        if (before.IsKnown() && after.IsKnown()) {
          for (const auto& [k, e] : after.Entries()) {
            auto it = before.Entries().find(k);
            if (it != before.Entries().end()) CollectReplace(*nb.block, it->second, e, here.Key(k), out);
          }
        }
        break;
      case Nesting::kSet:
        if (!(before == after)) {
          bool any_force_new = false;
          for (const auto& a : nb.block->attributes) any_force_new |= a.force_new;
          if (any_force_new) out.push_back(here);
        }
        break;
    }
  }
}

}  // namespace

std::vector<Path> ReplacePaths(const Block& block, const Value& prior, const Value& planned) {
  std::vector<Path> out;
  CollectReplace(block, prior, planned, Path::Root(), out);
  return out;
}

PlannedChange PlanChange(const Schema& schema, const Value& prior, const Value& proposed, const Value& config) {
  PlannedChange change;
  if (prior.IsNull()) {
    change.planned = PlanBlock(schema.block, prior, proposed, config, /*changed=*/true);
    return change;
  }
  Value with_defaults = ApplyDefaults(schema.block, proposed, config);
  if (with_defaults == prior) {
    // Nothing the user controls changed: keep every computed value as it is.
    change.planned = prior;
    return change;
  }
  // Compare before computed attributes turn unknown: only what the user changed may force a replacement.
  change.requires_replace = ReplacePaths(schema.block, prior, with_defaults);
  change.planned = PlanBlock(schema.block, prior, proposed, config, /*changed=*/true);
  return change;
}

}  // namespace pgha::schema
