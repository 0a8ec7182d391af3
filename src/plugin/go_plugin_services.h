// go-plugin's own services beside tfplugin6: the controller the host uses
// to stop us, the stdio stream it opens at connect, and the broker stream.
#pragma once

#include "plugin/grpc_broker.grpc.pb.h"
#include "plugin/grpc_controller.grpc.pb.h"
#include "plugin/grpc_stdio.grpc.pb.h"
#include "plugin/lifecycle.h"

namespace pgha::plugin {

class ControllerService final : public ::plugin::GRPCController::Service {
 public:
  explicit ControllerService(Lifecycle& lifecycle) : lifecycle_(lifecycle) {}
  // Replies at once; the main thread stops the server after this returns.
  grpc::Status Shutdown(grpc::ServerContext*, const ::plugin::Empty*, ::plugin::Empty*) override;

 private:
  Lifecycle& lifecycle_;
};

class StdioService final : public ::plugin::GRPCStdio::Service {
 public:
  explicit StdioService(const Lifecycle& lifecycle) : lifecycle_(lifecycle) {}
  // We log to stderr, which the host already reads: the stream stays open
  // and quiet until shutdown.
  grpc::Status StreamStdio(grpc::ServerContext* ctx, const google::protobuf::Empty*,
                           grpc::ServerWriter<::plugin::StdioData>*) override;

 private:
  const Lifecycle& lifecycle_;
};

class BrokerService final : public ::plugin::GRPCBroker::Service {
 public:
  // Terraform providers never broker connections: drain until the host closes.
  grpc::Status StartStream(grpc::ServerContext*,
                           grpc::ServerReaderWriter<::plugin::ConnInfo, ::plugin::ConnInfo>* stream) override;
};

}  // namespace pgha::plugin
