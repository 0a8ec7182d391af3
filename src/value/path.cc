#include "value/path.h"

#include "base/strings.h"

namespace pgha::value {

Path Path::Attr(std::string name) const {
  Path p = *this;
  p.steps_.push_back(AttrStep{std::move(name)});
  return p;
}
Path Path::Key(std::string key) const {
  Path p = *this;
  p.steps_.push_back(KeyStep{std::move(key)});
  return p;
}
Path Path::Index(int64_t index) const {
  Path p = *this;
  p.steps_.push_back(IndexStep{index});
  return p;
}

std::string Path::ToString() const {
  std::string out;
  for (const auto& step : steps_) {
    if (const auto* a = std::get_if<AttrStep>(&step)) {
      if (!out.empty()) out += '.';
      out += a->name;
    } else if (const auto* k = std::get_if<KeyStep>(&step)) {
      pgha::StrAppend(&out, "[\"", k->key, "\"]");
    } else {
      pgha::StrAppend(&out, "[", std::get<IndexStep>(step).index, "]");
    }
  }
  return out;
}

}  // namespace pgha::value
