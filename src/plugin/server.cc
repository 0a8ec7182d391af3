#include "plugin/server.h"

#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include <grpc/grpc.h>
#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "base/strings.h"
#include "log/log.h"
#include "plugin/automtls.h"
#include "plugin/go_plugin_services.h"
#include "plugin/handshake.h"
#include "plugin/lifecycle.h"
#include "provider/provider.h"
#include "tfproto/provider_service.h"

namespace pgha::plugin {
namespace {

// Terraform's own client allows messages this large; gRPC C++ defaults to 4 MiB.
constexpr int kMaxMessageBytes = 256 << 20;
// Unix socket paths longer than this do not fit sockaddr_un.
constexpr size_t kMaxSocketPath = 107;

constexpr char kNotAPluginMessage[] =
    "This binary is a plugin. These are not meant to be executed directly.\n"
    "Please execute the program that consumes these plugins, which will\n"
    "load any plugins automatically.\n"
    "(terraform-provider-pgha is a Terraform provider: declare it in a configuration and run\n"
    " `terraform init` / `terraform apply`, or start it with -debug to attach Terraform to it.)\n";

// Routes gRPC core's own log lines into our JSON log instead of raw stderr text.
void GrpcLogToJson(gpr_log_func_args* args) {
  log::Level level = args->severity == GPR_LOG_SEVERITY_ERROR ? log::Level::kError
                     : args->severity == GPR_LOG_SEVERITY_INFO ? log::Level::kDebug
                                                               : log::Level::kTrace;
  const std::string where = pgha::StrCat(args->file, ":", args->line);
  log::Write(level, args->message, {{"component", "grpc"}, {"at", where}});
}

// A private directory for the socket: no other user can race us for the name.
std::string MakeSocketDir() {
  std::vector<std::string> candidates;
  for (const char* var : {"PLUGIN_UNIX_SOCKET_DIR", "TMPDIR"}) {
    const char* dir = std::getenv(var);
    if (dir && *dir) candidates.emplace_back(dir);
  }
  candidates.emplace_back("/tmp");
  for (const auto& base : candidates) {
    std::string tmpl = pgha::StrCat(base, "/pgha-XXXXXX");
    if (tmpl.size() + std::string_view("/plugin.sock").size() > kMaxSocketPath) continue;
    if (mkdtemp(tmpl.data()) != nullptr) return tmpl;
  }
  return "";
}

void ApplySocketGroup(const std::string& socket_path) {
  const char* group = std::getenv("PLUGIN_UNIX_SOCKET_GROUP");
  if (group == nullptr || *group == '\0') return;
  gid_t gid;
  if (struct group* g = getgrnam(group)) {
    gid = g->gr_gid;
  } else {
    gid = static_cast<gid_t>(std::strtoul(group, nullptr, 10));
  }
  if (chown(socket_path.c_str(), static_cast<uid_t>(-1), gid) == 0) chmod(socket_path.c_str(), 0660);
}

// Signals we turn into a shutdown, handled by one thread with sigwait.
sigset_t ShutdownSignals(bool debug) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  if (debug) sigaddset(&set, SIGINT);
  return set;
}

// Binds, prints the handshake and serves until shutdown is requested. Every
// gRPC object lives in this scope, so all are gone when it returns.
int ServeUntilShutdown(const ServeOptions& options, provider::Provider& provider, const sigset_t& signals,
                       int protocol) {
  const std::string socket_dir = MakeSocketDir();
  if (socket_dir.empty()) {
    log::Error("cannot create a directory for the plugin socket");
    return 1;
  }
  const std::string socket_path = socket_dir + "/plugin.sock";
  auto cleanup = [&] {
    std::error_code ec;
    std::filesystem::remove(socket_path, ec);
    std::filesystem::remove(socket_dir, ec);
  };

  std::shared_ptr<grpc::ServerCredentials> credentials;
  std::string cert_der;
  const char* client_cert = std::getenv("PLUGIN_CLIENT_CERT");
  if (!options.debug && (client_cert == nullptr || *client_cert == '\0')) {
    // Terraform and OpenTofu always send their certificate (AutoMTLS). Without
    // it, anyone who can reach the socket could drive the provider: refuse.
    log::Error("PLUGIN_CLIENT_CERT is missing or empty: pgha serves only over mutual TLS with its host; run it "
               "with -debug to serve a reattaching host in plaintext");
    cleanup();
    return 1;
  }
  if (!options.debug) {
    auto identity = GenerateServerIdentity();
    if (!identity.ok()) {
      log::Error("cannot create the AutoMTLS certificate", {{"error", std::string(identity.status().message())}});
      cleanup();
      return 1;
    }
    grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    // Exactly the host's certificate, byte for byte, is the only trusted root.
    tls.pem_root_certs = client_cert;
    tls.pem_key_cert_pairs.push_back({identity->key_pem, identity->cert_pem});
    credentials = grpc::SslServerCredentials(tls);
    cert_der = identity->cert_der;
  } else {
    credentials = grpc::InsecureServerCredentials();
  }

  Lifecycle lifecycle;
  tfproto::ProviderService provider_service(provider);
  ControllerService controller(lifecycle);
  StdioService stdio(lifecycle);
  BrokerService broker;

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket_path, credentials);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  // One completion queue, not one per core: gRPC starts its polling threads
  // per queue, and a 32-core workstation would start 32 of them before the
  // handshake. Requests still run concurrently: the sync server adds worker
  // threads as calls arrive (Terraform sends up to -parallelism at once).
  builder.SetSyncServerOption(grpc::ServerBuilder::NUM_CQS, 1);
  builder.SetSyncServerOption(grpc::ServerBuilder::MIN_POLLERS, 1);
  builder.RegisterService(&provider_service);
  builder.RegisterService(&controller);
  builder.RegisterService(&stdio);
  builder.RegisterService(&broker);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    log::Error("cannot listen on the plugin socket", {{"path", socket_path}});
    cleanup();
    return 1;
  }
  server->GetHealthCheckService()->SetServingStatus("plugin", true);
  ApplySocketGroup(socket_path);

  if (options.debug) {
    std::printf(
        "Provider started. To attach Terraform or OpenTofu, set TF_REATTACH_PROVIDERS in their environment:\n\n"
        "\tTF_REATTACH_PROVIDERS='%s'\n\nPress Ctrl-C to stop.\n",
        ReattachJson(options.provider_address, getpid(), socket_path).c_str());
  } else {
    const std::string line = HandshakeLine(protocol, "unix", socket_path, cert_der);
    std::fputs(line.c_str(), stdout);
  }
  std::fflush(stdout);
  // After the line, so the host is not kept waiting for it: the signals are
  // blocked, so one that comes first stays pending until sigwait takes it.
  std::thread signal_waiter([&signals, &lifecycle] {
    int sig = 0;
    if (sigwait(&signals, &sig) == 0 && sig != 0) lifecycle.RequestShutdown();
  });
  log::Debug("plugin serving", {{"socket", socket_path}, {"tls", cert_der.empty() ? "off" : "auto-mtls"}});

  // The host may die without calling Shutdown: then we are reparented, and leave too.
  const pid_t parent = getppid();
  while (!lifecycle.WaitForShutdown(std::chrono::milliseconds(500))) {
    if (!options.debug && getppid() != parent) {
      log::Warn("host process went away; exiting");
      lifecycle.RequestShutdown();
    }
  }

  provider.Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  cleanup();
  // Wake the signal waiter so it can be joined.
  pthread_kill(signal_waiter.native_handle(), SIGTERM);
  signal_waiter.join();
  return 0;
}

}  // namespace

int Serve(const ServeOptions& options) {
  log::InitFromEnvironment();
  gpr_set_log_function(GrpcLogToJson);
  signal(SIGPIPE, SIG_IGN);
  // Ctrl-C reaches the whole process group; Terraform stops us through StopProvider instead.
  if (!options.debug) signal(SIGINT, SIG_IGN);

  if (!options.debug && !HasMagicCookie(std::getenv(std::string(kMagicCookieKey).c_str()))) {
    std::fputs(kNotAPluginMessage, stderr);
    return 1;
  }
  std::optional<int> protocol = NegotiateProtocol(std::getenv("PLUGIN_PROTOCOL_VERSIONS"));
  if (!protocol) {
    std::fprintf(stderr, "terraform-provider-pgha speaks plugin protocol 6 only; the host offered \"%s\". "
                         "Use Terraform 1.0 or newer, or OpenTofu.\n",
                 std::getenv("PLUGIN_PROTOCOL_VERSIONS"));
    return 1;
  }

  auto provider = provider::Provider::Create();
  if (!provider.ok()) {
    log::Error("provider failed to start", {{"error", std::string(provider.status().message())}});
    return 1;
  }

  // Block shutdown signals before gRPC starts threads, so only our waiter sees them.
  const sigset_t signals = ShutdownSignals(options.debug);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Our own reference on the gRPC library, released with a blocking
  // shutdown: it joins gRPC's worker threads, so none of their state
  // (OpenSSL's per-thread error queues included) outlives the process.
  grpc_init();
  const int code = ServeUntilShutdown(options, **provider, signals, *protocol);
  grpc_shutdown_blocking();
  return code;
}

}  // namespace pgha::plugin
