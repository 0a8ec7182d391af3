// tfplugin6.Provider over gRPC: decodes each request, calls the Provider,
// encodes the answer. Knows the wire, not the resources.
#pragma once

#include <memory>

#include "provider/provider.h"
#include "tfplugin6.grpc.pb.h"

namespace pgha::tfproto {

// GetProviderSchema is served raw: its bytes were made by the build
// (wire_schema.h) and go out as they are, never parsed, copied or re-encoded.
class ProviderService final
    : public tfplugin6::Provider::WithRawCallbackMethod_GetProviderSchema<tfplugin6::Provider::Service> {
 public:
  explicit ProviderService(provider::Provider& provider);

  grpc::Status GetMetadata(grpc::ServerContext*, const tfplugin6::GetMetadata_::Request*,
                           tfplugin6::GetMetadata_::Response*) override;
  grpc::ServerUnaryReactor* GetProviderSchema(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) override;
  grpc::Status GetResourceIdentitySchemas(grpc::ServerContext*, const tfplugin6::GetResourceIdentitySchemas::Request*,
                                          tfplugin6::GetResourceIdentitySchemas::Response*) override;
  grpc::Status UpgradeResourceIdentity(grpc::ServerContext*, const tfplugin6::UpgradeResourceIdentity::Request*,
                                       tfplugin6::UpgradeResourceIdentity::Response*) override;
  grpc::Status ValidateProviderConfig(grpc::ServerContext*, const tfplugin6::ValidateProviderConfig::Request*,
                                      tfplugin6::ValidateProviderConfig::Response*) override;
  grpc::Status ValidateResourceConfig(grpc::ServerContext*, const tfplugin6::ValidateResourceConfig::Request*,
                                      tfplugin6::ValidateResourceConfig::Response*) override;
  grpc::Status ValidateDataResourceConfig(grpc::ServerContext*, const tfplugin6::ValidateDataResourceConfig::Request*,
                                          tfplugin6::ValidateDataResourceConfig::Response*) override;
  grpc::Status UpgradeResourceState(grpc::ServerContext*, const tfplugin6::UpgradeResourceState::Request*,
                                    tfplugin6::UpgradeResourceState::Response*) override;
  grpc::Status ConfigureProvider(grpc::ServerContext*, const tfplugin6::ConfigureProvider::Request*,
                                 tfplugin6::ConfigureProvider::Response*) override;
  grpc::Status ReadResource(grpc::ServerContext*, const tfplugin6::ReadResource::Request*,
                            tfplugin6::ReadResource::Response*) override;
  grpc::Status PlanResourceChange(grpc::ServerContext*, const tfplugin6::PlanResourceChange::Request*,
                                  tfplugin6::PlanResourceChange::Response*) override;
  grpc::Status ApplyResourceChange(grpc::ServerContext*, const tfplugin6::ApplyResourceChange::Request*,
                                   tfplugin6::ApplyResourceChange::Response*) override;
  grpc::Status ImportResourceState(grpc::ServerContext*, const tfplugin6::ImportResourceState::Request*,
                                   tfplugin6::ImportResourceState::Response*) override;
  grpc::Status MoveResourceState(grpc::ServerContext*, const tfplugin6::MoveResourceState::Request*,
                                 tfplugin6::MoveResourceState::Response*) override;
  grpc::Status ReadDataSource(grpc::ServerContext*, const tfplugin6::ReadDataSource::Request*,
                              tfplugin6::ReadDataSource::Response*) override;
  grpc::Status GetFunctions(grpc::ServerContext*, const tfplugin6::GetFunctions::Request*,
                            tfplugin6::GetFunctions::Response*) override;
  grpc::Status CallFunction(grpc::ServerContext*, const tfplugin6::CallFunction::Request*,
                            tfplugin6::CallFunction::Response*) override;
  grpc::Status StopProvider(grpc::ServerContext*, const tfplugin6::StopProvider::Request*,
                            tfplugin6::StopProvider::Response*) override;

 private:
  provider::Provider& provider_;
  const tfplugin6::ServerCapabilities capabilities_;
};

}  // namespace pgha::tfproto
