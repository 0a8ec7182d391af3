#include "cloudinit/line_template.h"

#include <set>

#include "base/strings.h"
#include "cloudinit/placeholder.h"
#include "cloudinit/yaml_template.h"

namespace pgha::cloudinit {
namespace {

absl::Status CheckSingleLine(const std::string& name, const std::string& value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          pgha::StrCat("value for {{", name, "}} holds a control character (a newline?): one value is one line"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> RenderLineTemplate(std::string_view template_text, const LineValues& values) {
  std::set<std::string> used;
  std::string out;
  size_t start = 0;
  while (start < template_text.size()) {
    size_t end = template_text.find('\n', start);
    if (end == std::string_view::npos) end = template_text.size();
    const std::string line(template_text.substr(start, end - start));
    start = end + 1;

    // Split the line into literal text and placeholder names.
    std::vector<std::string> literals;
    std::vector<std::string> names;
    size_t pos = 0;
    for (auto p = FindPlaceholder(line); p; p = FindPlaceholder(line, pos)) {
      literals.push_back(line.substr(pos, p->begin - pos));
      names.push_back(p->name);
      pos = p->end;
    }
    literals.push_back(line.substr(pos));

    const std::vector<std::string>* repeat = nullptr;
    std::vector<std::string> scalars;
    for (const auto& name : names) {
      auto v = values.find(name);
      if (v == values.end()) return absl::InvalidArgumentError(pgha::StrCat("no value for {{", name, "}}"));
      used.insert(name);
      if (const auto* list = std::get_if<std::vector<std::string>>(&v->second)) {
        if (names.size() != 1) {
          return absl::InvalidArgumentError(pgha::StrCat("list {{", name, "}} must be the only placeholder on its line"));
        }
        repeat = list;
      } else {
        scalars.push_back(std::get<std::string>(v->second));
      }
    }
    if (repeat != nullptr) {
      for (const auto& item : *repeat) {
        if (auto s = CheckSingleLine(names[0], item); !s.ok()) return s;
        pgha::StrAppend(&out, literals[0], item, literals[1], "\n");
      }
      continue;
    }
    for (size_t i = 0; i < scalars.size(); ++i) {
      if (auto s = CheckSingleLine(names[i], scalars[i]); !s.ok()) return s;
      pgha::StrAppend(&out, literals[i], scalars[i]);
    }
    pgha::StrAppend(&out, literals.back(), "\n");
  }
  for (const auto& [name, v] : values) {
    if (!used.contains(name)) return absl::InvalidArgumentError(pgha::StrCat("value ", name, " has no placeholder"));
  }
  return out;
}

absl::StatusOr<std::string> RenderEmbeddedLineTemplate(std::string_view path, const LineValues& values) {
  auto tmpl = EmbeddedTemplate(path);
  if (!tmpl.ok()) return tmpl.status();
  return RenderLineTemplate(*tmpl, values);
}

}  // namespace pgha::cloudinit
