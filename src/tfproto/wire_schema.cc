#include "tfproto/wire_schema.h"

#include "tfproto/convert.h"

namespace pgha::tfproto {

tfplugin6::ServerCapabilities Capabilities() {
  tfplugin6::ServerCapabilities caps;
  caps.set_plan_destroy(true);                  // we answer destroy plans (with null)
  caps.set_get_provider_schema_optional(true);  // the schema is static: any RPC may come first
  return caps;
}

tfplugin6::GetProviderSchema::Response BuildSchemaResponse(const schema::Catalog& catalog) {
  tfplugin6::GetProviderSchema::Response response;
  ToProto(catalog.provider(), response.mutable_provider());
  for (const auto& name : catalog.resource_names()) {
    ToProto(*catalog.resource(name), &(*response.mutable_resource_schemas())[name]);
  }
  for (const auto& name : catalog.data_source_names()) {
    ToProto(*catalog.data_source(name), &(*response.mutable_data_source_schemas())[name]);
  }
  *response.mutable_server_capabilities() = Capabilities();
  return response;
}

}  // namespace pgha::tfproto
