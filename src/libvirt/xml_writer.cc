#include "libvirt/xml_writer.h"

namespace pgha::libvirt {

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

XmlElement& XmlElement::Attr(std::string_view name, std::string_view value) {
  attributes_.emplace_back(std::string(name), std::string(value));
  return *this;
}

XmlElement& XmlElement::Text(std::string_view text) {
  text_ = std::string(text);
  return *this;
}

XmlElement& XmlElement::Child(std::string name) {
  children_.emplace_back(std::move(name));
  return children_.back();
}

XmlElement& XmlElement::TextChild(std::string name, std::string_view text) {
  return Child(std::move(name)).Text(text);
}

std::string XmlElement::Render(int indent) const {
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  std::string out = pad + "<" + name_;
  for (const auto& [k, v] : attributes_) out += " " + k + "=\"" + XmlEscape(v) + "\"";
  if (children_.empty() && text_.empty()) return out + "/>\n";
  out += ">";
  if (!children_.empty()) {
    out += "\n";
    for (const auto& c : children_) out += c.Render(indent + 1);
    return out + pad + "</" + name_ + ">\n";
  }
  return out + XmlEscape(text_) + "</" + name_ + ">\n";
}

}  // namespace pgha::libvirt
