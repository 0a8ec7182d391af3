#include "tfproto/provider_service.h"

#include <chrono>

#include "base/strings.h"
#include "log/log.h"
#include "tfproto/convert.h"
#include "tfproto/wire_schema.h"

namespace pgha::tfproto {
namespace {

using value::Diagnostics;
using value::Value;

// Logs the call and turns any escaped exception into an error diagnostic:
// a bug must never take Terraform down with a crashed plugin.
template <typename Response, typename Fn>
grpc::Status Handle(std::string_view rpc, std::string_view type_name, Response* response, Fn&& fn) {
  const auto start = std::chrono::steady_clock::now();
  Diagnostics diags;
  try {
    fn(diags);
  } catch (const std::exception& e) {
    diags.AddError("Internal error in pgha", pgha::StrCat(rpc, " failed: ", e.what(), ". Please report this bug."));
  }
  AppendDiagnostics(diags, response->mutable_diagnostics());
  if (log::Enabled(log::Level::kDebug)) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    const std::string duration = pgha::StrCat(micros, "us");
    const std::string count = pgha::StrCat(diags.items().size());
    log::Debug("rpc", {{"rpc", rpc}, {"tf_resource_type", type_name}, {"duration", duration}, {"diagnostics", count}});
  }
  return grpc::Status::OK;
}

// Decodes a request value; a failure is Terraform sending something we do not understand.
bool DecodeInto(const tfplugin6::DynamicValue& dv, const value::Type& type, std::string_view what, Value& out,
                Diagnostics& diags) {
  auto decoded = Decode(dv, type);
  if (!decoded.ok()) {
    diags.AddError("Invalid value from Terraform",
                   pgha::StrCat("Could not decode ", what, ": ", decoded.status().message()));
    return false;
  }
  out = *std::move(decoded);
  return true;
}

const schema::Schema* ResourceSchema(const provider::Provider& p, const std::string& type, Diagnostics& diags) {
  const schema::Schema* s = p.catalog().resource(type);
  if (s == nullptr) diags.AddError("Unknown resource type", pgha::StrCat("pgha has no resource type \"", type, "\"."));
  return s;
}

}  // namespace

ProviderService::ProviderService(provider::Provider& provider) : provider_(provider), capabilities_(Capabilities()) {}

grpc::Status ProviderService::GetMetadata(grpc::ServerContext*, const tfplugin6::GetMetadata_::Request*,
                                          tfplugin6::GetMetadata_::Response* response) {
  return Handle("GetMetadata", "", response, [&](Diagnostics&) {
    *response->mutable_server_capabilities() = capabilities_;
    for (const auto& name : provider_.catalog().resource_names()) response->add_resources()->set_type_name(name);
    for (const auto& name : provider_.catalog().data_source_names()) {
      response->add_data_sources()->set_type_name(name);
    }
  });
}

grpc::ServerUnaryReactor* ProviderService::GetProviderSchema(grpc::CallbackServerContext* context,
                                                             const grpc::ByteBuffer*, grpc::ByteBuffer* response) {
  const std::string_view bytes = EmbeddedSchemaResponse();
  // A static slice: gRPC sends straight from the binary's read-only data.
  grpc::Slice slice(bytes.data(), bytes.size(), grpc::Slice::STATIC_SLICE);
  *response = grpc::ByteBuffer(&slice, 1);
  log::Debug("rpc", {{"rpc", "GetProviderSchema"}});
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::Status ProviderService::GetResourceIdentitySchemas(grpc::ServerContext*,
                                                         const tfplugin6::GetResourceIdentitySchemas::Request*,
                                                         tfplugin6::GetResourceIdentitySchemas::Response* response) {
  // No resource has an identity schema (yet): an empty map says so.
  return Handle("GetResourceIdentitySchemas", "", response, [](Diagnostics&) {});
}

grpc::Status ProviderService::UpgradeResourceIdentity(grpc::ServerContext*,
                                                      const tfplugin6::UpgradeResourceIdentity::Request* request,
                                                      tfplugin6::UpgradeResourceIdentity::Response* response) {
  return Handle("UpgradeResourceIdentity", request->type_name(), response, [&](Diagnostics& diags) {
    diags.AddError("Resource identity is not supported",
                   pgha::StrCat(request->type_name(), " has no identity schema, so there is nothing to upgrade."));
  });
}

grpc::Status ProviderService::ValidateProviderConfig(grpc::ServerContext*,
                                                     const tfplugin6::ValidateProviderConfig::Request* request,
                                                     tfplugin6::ValidateProviderConfig::Response* response) {
  return Handle("ValidateProviderConfig", "", response, [&](Diagnostics& diags) {
    Value config;
    if (!DecodeInto(request->config(), provider_.catalog().provider().type, "provider config", config, diags)) return;
    provider_.ValidateProviderConfig(config, diags);
  });
}

grpc::Status ProviderService::ValidateResourceConfig(grpc::ServerContext*,
                                                     const tfplugin6::ValidateResourceConfig::Request* request,
                                                     tfplugin6::ValidateResourceConfig::Response* response) {
  return Handle("ValidateResourceConfig", request->type_name(), response, [&](Diagnostics& diags) {
    const schema::Schema* s = ResourceSchema(provider_, request->type_name(), diags);
    Value config;
    if (!s || !DecodeInto(request->config(), s->type, "config", config, diags)) return;
    provider_.ValidateResourceConfig(request->type_name(), config, diags);
  });
}

grpc::Status ProviderService::ValidateDataResourceConfig(grpc::ServerContext*,
                                                         const tfplugin6::ValidateDataResourceConfig::Request* request,
                                                         tfplugin6::ValidateDataResourceConfig::Response* response) {
  return Handle("ValidateDataResourceConfig", request->type_name(), response, [&](Diagnostics& diags) {
    const schema::Schema* s = provider_.catalog().data_source(request->type_name());
    if (s == nullptr) {
      diags.AddError("Unknown data source", pgha::StrCat("pgha has no data source \"", request->type_name(), "\"."));
      return;
    }
    Value config;
    if (!DecodeInto(request->config(), s->type, "config", config, diags)) return;
    provider_.ValidateDataSourceConfig(request->type_name(), config, diags);
  });
}

grpc::Status ProviderService::UpgradeResourceState(grpc::ServerContext*,
                                                   const tfplugin6::UpgradeResourceState::Request* request,
                                                   tfplugin6::UpgradeResourceState::Response* response) {
  return Handle("UpgradeResourceState", request->type_name(), response, [&](Diagnostics& diags) {
    const schema::Schema* s = ResourceSchema(provider_, request->type_name(), diags);
    if (s == nullptr) return;
    if (request->raw_state().json().empty()) {
      diags.AddError("Unsupported state format",
                     "This state uses the pre-0.12 flatmap format, which pgha never wrote. Remove the resource from "
                     "state and import or recreate it.");
      return;
    }
    Value upgraded =
        provider_.UpgradeResourceState(request->type_name(), request->version(), request->raw_state().json(), diags);
    if (!diags.HasError()) Encode(upgraded, s->type, response->mutable_upgraded_state());
  });
}

grpc::Status ProviderService::ConfigureProvider(grpc::ServerContext*,
                                                const tfplugin6::ConfigureProvider::Request* request,
                                                tfplugin6::ConfigureProvider::Response* response) {
  return Handle("ConfigureProvider", "", response, [&](Diagnostics& diags) {
    Value config;
    if (!DecodeInto(request->config(), provider_.catalog().provider().type, "provider config", config, diags)) return;
    provider_.Configure(config, request->terraform_version(), diags);
  });
}

grpc::Status ProviderService::ReadResource(grpc::ServerContext*, const tfplugin6::ReadResource::Request* request,
                                           tfplugin6::ReadResource::Response* response) {
  return Handle("ReadResource", request->type_name(), response, [&](Diagnostics& diags) {
    const schema::Schema* s = ResourceSchema(provider_, request->type_name(), diags);
    Value state;
    if (!s || !DecodeInto(request->current_state(), s->type, "current state", state, diags)) {
      // Never answer with an unset new_state on failure: Terraform would drop the resource.
      *response->mutable_new_state() = request->current_state();
      return;
    }
    Value refreshed = provider_.ReadResource(request->type_name(), state, diags);
    Encode(refreshed, s->type, response->mutable_new_state());
    response->set_private_(request->private_());
  });
}

grpc::Status ProviderService::PlanResourceChange(grpc::ServerContext*,
                                                 const tfplugin6::PlanResourceChange::Request* request,
                                                 tfplugin6::PlanResourceChange::Response* response) {
  return Handle("PlanResourceChange", request->type_name(), response, [&](Diagnostics& diags) {
    const schema::Schema* s = ResourceSchema(provider_, request->type_name(), diags);
    Value prior, proposed, config;
    if (!s || !DecodeInto(request->prior_state(), s->type, "prior state", prior, diags) ||
        !DecodeInto(request->proposed_new_state(), s->type, "proposed state", proposed, diags) ||
        !DecodeInto(request->config(), s->type, "config", config, diags)) {
      return;
    }
    schema::PlannedChange change = provider_.PlanResourceChange(request->type_name(), prior, proposed, config, diags);
    if (diags.HasError()) return;
    Encode(change.planned, s->type, response->mutable_planned_state());
    for (const auto& path : change.requires_replace) ToProto(path, response->add_requires_replace());
    response->set_planned_private(request->prior_private());
  });
}

grpc::Status ProviderService::ApplyResourceChange(grpc::ServerContext*,
                                                  const tfplugin6::ApplyResourceChange::Request* request,
                                                  tfplugin6::ApplyResourceChange::Response* response) {
  return Handle("ApplyResourceChange", request->type_name(), response, [&](Diagnostics& diags) {
    const schema::Schema* s = ResourceSchema(provider_, request->type_name(), diags);
    Value prior, planned;
    if (!s || !DecodeInto(request->prior_state(), s->type, "prior state", prior, diags) ||
        !DecodeInto(request->planned_state(), s->type, "planned state", planned, diags)) {
      *response->mutable_new_state() = request->prior_state();
      return;
    }
    Value new_state = provider_.ApplyResourceChange(request->type_name(), prior, planned, diags);
    Encode(new_state, s->type, response->mutable_new_state());
    response->set_private_(request->planned_private());
  });
}

grpc::Status ProviderService::ImportResourceState(grpc::ServerContext*,
                                                  const tfplugin6::ImportResourceState::Request* request,
                                                  tfplugin6::ImportResourceState::Response* response) {
  return Handle("ImportResourceState", request->type_name(), response, [&](Diagnostics& diags) {
    const schema::Schema* s = ResourceSchema(provider_, request->type_name(), diags);
    if (s == nullptr) return;
    if (request->id().empty()) {
      diags.AddError("Import needs an ID", "Import by identity is not supported; give the ID instead.");
      return;
    }
    Value state = provider_.ImportResourceState(request->type_name(), request->id(), diags);
    if (diags.HasError()) return;
    auto* imported = response->add_imported_resources();
    imported->set_type_name(request->type_name());
    Encode(state, s->type, imported->mutable_state());
  });
}

grpc::Status ProviderService::MoveResourceState(grpc::ServerContext*,
                                                const tfplugin6::MoveResourceState::Request* request,
                                                tfplugin6::MoveResourceState::Response* response) {
  return Handle("MoveResourceState", request->target_type_name(), response, [&](Diagnostics& diags) {
    diags.AddError("Moving resources across types is not supported",
                   pgha::StrCat("pgha cannot turn a ", request->source_type_name(), " into a ",
                                request->target_type_name(), "."));
  });
}

grpc::Status ProviderService::ReadDataSource(grpc::ServerContext*, const tfplugin6::ReadDataSource::Request* request,
                                             tfplugin6::ReadDataSource::Response* response) {
  return Handle("ReadDataSource", request->type_name(), response, [&](Diagnostics& diags) {
    const schema::Schema* s = provider_.catalog().data_source(request->type_name());
    if (s == nullptr) {
      diags.AddError("Unknown data source", pgha::StrCat("pgha has no data source \"", request->type_name(), "\"."));
      return;
    }
    Value config;
    if (!DecodeInto(request->config(), s->type, "config", config, diags)) return;
    Value state = provider_.ReadDataSource(request->type_name(), config, diags);
    if (!diags.HasError()) Encode(state, s->type, response->mutable_state());
  });
}

grpc::Status ProviderService::GetFunctions(grpc::ServerContext*, const tfplugin6::GetFunctions::Request*,
                                           tfplugin6::GetFunctions::Response* response) {
  // pgha offers no functions: an empty map, not UNIMPLEMENTED, which OpenTofu may ask for.
  return Handle("GetFunctions", "", response, [](Diagnostics&) {});
}

grpc::Status ProviderService::CallFunction(grpc::ServerContext*, const tfplugin6::CallFunction::Request* request,
                                           tfplugin6::CallFunction::Response* response) {
  response->mutable_error()->set_text(pgha::StrCat("pgha has no function \"", request->name(), "\"."));
  return grpc::Status::OK;
}

grpc::Status ProviderService::StopProvider(grpc::ServerContext*, const tfplugin6::StopProvider::Request*,
                                           tfplugin6::StopProvider::Response*) {
  log::Info("StopProvider: cancelling in-flight work");
  provider_.Stop();
  return grpc::Status::OK;
}

}  // namespace pgha::tfproto
