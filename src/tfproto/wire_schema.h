// The GetProviderSchema response, built from schemas/ at build time.
//
// schemas/ stays the single source: the build runs pgha-wire-schema, which
// parses every schema (a bad one fails the build) and writes the response's
// protobuf bytes into the binary. At run time the first GetProviderSchema
// decodes those bytes instead of parsing ~65 KB of JSON and converting it, and
// start-up does no schema work at all.
#pragma once

#include <string_view>

#include "schema/schema.h"
#include "tfplugin6.pb.h"

namespace pgha::tfproto {

// What pgha tells Terraform it can do; the same in every response that carries it.
tfplugin6::ServerCapabilities Capabilities();

// The response for every schema in `catalog`.
tfplugin6::GetProviderSchema::Response BuildSchemaResponse(const schema::Catalog& catalog);

// The bytes pgha-wire-schema wrote at build time (BuildSchemaResponse of the
// embedded catalog, serialized).
std::string_view EmbeddedSchemaResponse();

}  // namespace pgha::tfproto
