#include "schema/docs.h"

#include "base/strings.h"
#include "absl/strings/str_join.h"
#include "value/json_codec.h"

namespace pgha::schema {
namespace {

std::string Anchor(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : pgha::StrCat(prefix, "--", name);
}

std::string AttributeLine(const Attribute& a) {
  std::vector<std::string> notes;
  notes.push_back(a.type.FriendlyName());
  if (a.sensitive) notes.push_back("sensitive");
  if (a.deprecated) notes.push_back("deprecated");
  std::string line = pgha::StrCat("- `", a.name, "` (", absl::StrJoin(notes, ", "), ") ", a.description);
  if (a.default_value) {
    pgha::StrAppend(&line, " Default: `", value::EncodeJson(*a.default_value, a.type).dump(), "`.");
  }
  for (const auto& v : a.validators) pgha::StrAppend(&line, " Must be ", v.Describe(), ".");
  if (a.force_new) pgha::StrAppend(&line, " Changing it replaces the resource.");
  return line;
}

void RenderBlock(const Block& block, std::string_view prefix, std::string& out, std::vector<std::string>& nested_out);

void RenderAttributeGroups(const std::vector<Attribute>& attrs, const std::vector<NestedBlock>& blocks,
                           std::string_view prefix, std::string& out, std::vector<std::string>& nested_out) {
  struct Group {
    const char* title;
    bool (*match)(const Attribute&);
  };
  const Group groups[] = {
      {"Required", [](const Attribute& a) { return a.required; }},
      {"Optional", [](const Attribute& a) { return a.optional; }},
      {"Read-Only", [](const Attribute& a) { return a.computed && !a.optional; }},
  };
  for (const auto& g : groups) {
    std::vector<std::string> lines;
    for (const auto& a : attrs) {
      if (!g.match(a)) continue;
      lines.push_back(AttributeLine(a));
      if (a.nested) {
        lines.back() += pgha::StrCat(" See [below for nested schema](#", Anchor(prefix, a.name), ").");
        std::string sub = pgha::StrCat("\n<a id=\"", Anchor(prefix, a.name), "\"></a>\n### Nested Schema for `",
                                       prefix.empty() ? a.name : pgha::StrCat(prefix, ".", a.name), "`\n\n");
        Block inner;
        inner.attributes = a.nested->attributes;
        RenderBlock(inner, Anchor(prefix, a.name), sub, nested_out);
        nested_out.push_back(sub);
      }
    }
    // Blocks that must appear (min_items > 0) are listed with the required attributes.
    const bool required_group = std::string_view(g.title) == "Required";
    if (required_group || std::string_view(g.title) == "Optional") {
      for (const auto& b : blocks) {
        if ((b.min_items > 0) != required_group) continue;
        std::string limits;
        if (b.min_items > 0) pgha::StrAppend(&limits, ", at least ", b.min_items);
        if (b.max_items > 0) pgha::StrAppend(&limits, ", at most ", b.max_items);
        lines.push_back(pgha::StrCat("- `", b.name, "` (block", limits, ") ", b.block->description,
                                     b.force_new ? " Changing it replaces the resource." : "",
                                     " See [below for nested schema](#", Anchor(prefix, b.name), ")."));
        std::string sub = pgha::StrCat("\n<a id=\"", Anchor(prefix, b.name), "\"></a>\n### Nested Schema for `",
                                       prefix.empty() ? b.name : pgha::StrCat(prefix, ".", b.name), "`\n\n");
        RenderBlock(*b.block, Anchor(prefix, b.name), sub, nested_out);
        nested_out.push_back(sub);
      }
    }
    if (lines.empty()) continue;
    pgha::StrAppend(&out, "#### ", g.title, "\n\n", absl::StrJoin(lines, "\n"), "\n\n");
  }
}

void RenderBlock(const Block& block, std::string_view prefix, std::string& out, std::vector<std::string>& nested_out) {
  for (const auto& rule : block.rules) pgha::StrAppend(&out, "Give ", rule.Describe(), ".\n\n");
  RenderAttributeGroups(block.attributes, block.blocks, prefix, out, nested_out);
}

}  // namespace

std::string RenderMarkdown(const Schema& schema, std::string_view example_hcl) {
  const char* kind = schema.kind == Schema::Kind::kProvider   ? "Provider"
                     : schema.kind == Schema::Kind::kResource ? "Resource"
                                                              : "Data Source";
  std::string out = pgha::StrCat("<!-- Generated from schemas/ by pgha-docs. Do not edit. -->\n# ",
                                 schema.kind == Schema::Kind::kProvider ? "pgha" : schema.name, " (", kind,
                                 ")\n\n", schema.block.description, "\n\n");
  if (!example_hcl.empty()) pgha::StrAppend(&out, "## Example Usage\n\n```hcl\n", example_hcl, "```\n\n");
  pgha::StrAppend(&out, "## Schema\n\n");
  std::vector<std::string> nested;
  RenderBlock(schema.block, "", out, nested);
  for (const auto& n : nested) pgha::StrAppend(&out, n);
  while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
  return out;
}

}  // namespace pgha::schema
