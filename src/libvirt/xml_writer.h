// A small XML builder: elements, attributes and text, always escaped. Domain,
// volume and network descriptions are built from typed structs through it,
// never by pasting values into XML text.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgha::libvirt {

class XmlElement {
 public:
  explicit XmlElement(std::string name) : name_(std::move(name)) {}

  XmlElement& Attr(std::string_view name, std::string_view value);
  XmlElement& Text(std::string_view text);
  // Adds a child and returns it for further building.
  XmlElement& Child(std::string name);
  // Adds a child holding only text: <name>text</name>.
  XmlElement& TextChild(std::string name, std::string_view text);

  std::string Render(int indent = 0) const;

 private:
  std::string name_;
  std::vector<std::pair<std::string, std::string>> attributes_;
  std::string text_;
  std::vector<XmlElement> children_;
};

std::string XmlEscape(std::string_view text);

}  // namespace pgha::libvirt
