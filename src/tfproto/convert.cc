#include "tfproto/convert.h"

#include "value/json_codec.h"
#include "value/msgpack_codec.h"

namespace pgha::tfproto {
namespace {

void AttributeToProto(const schema::Attribute& a, tfplugin6::Schema::Attribute* out);

tfplugin6::Schema::Object::NestingMode ObjectNesting(schema::Nesting n) {
  switch (n) {
    case schema::Nesting::kList:
      return tfplugin6::Schema::Object::LIST;
    case schema::Nesting::kSet:
      return tfplugin6::Schema::Object::SET;
    case schema::Nesting::kMap:
      return tfplugin6::Schema::Object::MAP;
    default:
      return tfplugin6::Schema::Object::SINGLE;
  }
}

tfplugin6::Schema::NestedBlock::NestingMode BlockNesting(schema::Nesting n) {
  switch (n) {
    case schema::Nesting::kSingle:
      return tfplugin6::Schema::NestedBlock::SINGLE;
    case schema::Nesting::kList:
      return tfplugin6::Schema::NestedBlock::LIST;
    case schema::Nesting::kSet:
      return tfplugin6::Schema::NestedBlock::SET;
    case schema::Nesting::kMap:
      return tfplugin6::Schema::NestedBlock::MAP;
    case schema::Nesting::kGroup:
      return tfplugin6::Schema::NestedBlock::GROUP;
  }
  return tfplugin6::Schema::NestedBlock::INVALID;
}

void AttributeToProto(const schema::Attribute& a, tfplugin6::Schema::Attribute* out) {
  out->set_name(a.name);
  if (a.nested) {
    auto* obj = out->mutable_nested_type();
    obj->set_nesting(ObjectNesting(a.nested->nesting));
    for (const auto& na : a.nested->attributes) AttributeToProto(na, obj->add_attributes());
  } else {
    // Exactly one of type and nested_type: Terraform panics on both.
    out->set_type(a.type.ToJsonText());
  }
  out->set_description(a.description);
  out->set_description_kind(tfplugin6::MARKDOWN);
  out->set_required(a.required);
  out->set_optional(a.optional);
  out->set_computed(a.computed);
  out->set_sensitive(a.sensitive);
  out->set_deprecated(a.deprecated);
}

void BlockToProto(const schema::Block& block, tfplugin6::Schema::Block* out) {
  out->set_description(block.description);
  out->set_description_kind(tfplugin6::MARKDOWN);
  out->set_deprecated(block.deprecated);
  for (const auto& a : block.attributes) AttributeToProto(a, out->add_attributes());
  for (const auto& b : block.blocks) {
    auto* nb = out->add_block_types();
    nb->set_type_name(b.name);
    nb->set_nesting(BlockNesting(b.nesting));
    nb->set_min_items(b.min_items);
    nb->set_max_items(b.max_items);
    BlockToProto(*b.block, nb->mutable_block());
  }
}

}  // namespace

void ToProto(const schema::Schema& schema, tfplugin6::Schema* out) {
  out->set_version(schema.version);
  BlockToProto(schema.block, out->mutable_block());
}

void ToProto(const value::Path& path, tfplugin6::AttributePath* out) {
  for (const auto& step : path.steps()) {
    auto* s = out->add_steps();
    if (const auto* a = std::get_if<value::Path::AttrStep>(&step)) {
      s->set_attribute_name(a->name);
    } else if (const auto* k = std::get_if<value::Path::KeyStep>(&step)) {
      s->set_element_key_string(k->key);
    } else {
      s->set_element_key_int(std::get<value::Path::IndexStep>(step).index);
    }
  }
}

value::Path FromProto(const tfplugin6::AttributePath& path) {
  value::Path out;
  for (const auto& s : path.steps()) {
    switch (s.selector_case()) {
      case tfplugin6::AttributePath::Step::kAttributeName:
        out = out.Attr(s.attribute_name());
        break;
      case tfplugin6::AttributePath::Step::kElementKeyString:
        out = out.Key(s.element_key_string());
        break;
      case tfplugin6::AttributePath::Step::kElementKeyInt:
        out = out.Index(s.element_key_int());
        break;
      default:
        break;
    }
  }
  return out;
}

void ToProto(const value::Diagnostic& d, tfplugin6::Diagnostic* out) {
  out->set_severity(d.severity == value::Diagnostic::Severity::kError ? tfplugin6::Diagnostic::ERROR
                                                                       : tfplugin6::Diagnostic::WARNING);
  out->set_summary(d.summary);
  out->set_detail(d.detail);
  if (d.path && !d.path->empty()) ToProto(*d.path, out->mutable_attribute());
}

absl::StatusOr<value::Value> Decode(const tfplugin6::DynamicValue& dv, const value::Type& type) {
  if (!dv.msgpack().empty()) return value::DecodeMsgpack(dv.msgpack(), type);
  if (!dv.json().empty()) return value::DecodeJsonText(dv.json(), type);
  return value::Value::Null(type);
}

void Encode(const value::Value& v, const value::Type& type, tfplugin6::DynamicValue* out) {
  out->set_msgpack(value::EncodeMsgpack(v, type));
}

}  // namespace pgha::tfproto
