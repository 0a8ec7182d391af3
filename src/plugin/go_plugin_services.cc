#include "plugin/go_plugin_services.h"

#include "log/log.h"

namespace pgha::plugin {

grpc::Status ControllerService::Shutdown(grpc::ServerContext*, const ::plugin::Empty*, ::plugin::Empty*) {
  log::Debug("GRPCController.Shutdown: exiting");
  lifecycle_.RequestShutdown();
  return grpc::Status::OK;
}

grpc::Status StdioService::StreamStdio(grpc::ServerContext* ctx, const google::protobuf::Empty*,
                                       grpc::ServerWriter<::plugin::StdioData>*) {
  while (!ctx->IsCancelled() && !lifecycle_.WaitForShutdown(std::chrono::milliseconds(100))) {
  }
  return grpc::Status::OK;
}

grpc::Status BrokerService::StartStream(grpc::ServerContext*,
                                        grpc::ServerReaderWriter<::plugin::ConnInfo, ::plugin::ConnInfo>* stream) {
  ::plugin::ConnInfo info;
  while (stream->Read(&info)) {
    log::Debug("GRPCBroker: ignoring a connection request; pgha brokers no connections");
  }
  return grpc::Status::OK;
}

}  // namespace pgha::plugin
