// Translation between pgha's types and tfplugin6 messages: schemas,
// diagnostics, attribute paths and DynamicValues.
#pragma once

#include "absl/status/statusor.h"
#include "schema/schema.h"
#include "tfplugin6.pb.h"
#include "value/diagnostics.h"
#include "value/path.h"
#include "value/value.h"

namespace pgha::tfproto {

void ToProto(const schema::Schema& schema, tfplugin6::Schema* out);
void ToProto(const value::Path& path, tfplugin6::AttributePath* out);
value::Path FromProto(const tfplugin6::AttributePath& path);

template <typename RepeatedDiagnostics>
void AppendDiagnostics(const value::Diagnostics& diags, RepeatedDiagnostics* out);

// An absent or empty DynamicValue is null, as Terraform means it.
absl::StatusOr<value::Value> Decode(const tfplugin6::DynamicValue& dv, const value::Type& type);
void Encode(const value::Value& v, const value::Type& type, tfplugin6::DynamicValue* out);

void ToProto(const value::Diagnostic& d, tfplugin6::Diagnostic* out);

template <typename RepeatedDiagnostics>
void AppendDiagnostics(const value::Diagnostics& diags, RepeatedDiagnostics* out) {
  for (const auto& d : diags.items()) ToProto(d, out->Add());
}

}  // namespace pgha::tfproto
