// Runs the real terraform-provider-pgha binary the way go-plugin does and
// checks the launch contract from the outside: cookie, handshake line,
// AutoMTLS that admits only the host's certificate, SIGINT, Shutdown.
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "pki/certificate.h"
#include "pki/key.h"
#include "pki/pem.h"
#include "plugin/grpc_controller.grpc.pb.h"
#include "plugin/handshake.h"
#include "tfplugin6.grpc.pb.h"

namespace pgha::plugin {
namespace {

using namespace std::chrono_literals;

// A host-side identity like the one go-plugin generates for Terraform.
struct HostIdentity {
  std::string cert_pem;
  std::string key_pem;
};

HostIdentity MakeHostIdentity(const std::string& cn = "localhost") {
  auto key = pki::GenerateKey(pki::KeyAlgorithm::kEcdsaP384);
  pki::CertificateRequest r;
  r.common_name = cn;
  r.organization = "HashiCorp";
  r.dns_names = {"localhost"};
  r.is_ca = true;
  r.allowed_uses = {"digital_signature", "key_encipherment", "key_agreement", "cert_signing", "client_auth",
                    "server_auth"};
  r.not_before = std::time(nullptr) - 30;
  r.validity_hours = 24;
  auto issued = pki::IssueCertificate(r, key->get(), nullptr, key->get());
  return {pki::CertificateToPem(issued->cert.get()), pki::PrivateKeyToPem(key->get())};
}

class PluginProcess {
 public:
  explicit PluginProcess(std::vector<std::string> env) {
    int out[2], err[2];
    EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      dup2(err[1], STDERR_FILENO);
      std::vector<char*> envp;
      for (auto& e : env) envp.push_back(e.data());
      envp.push_back(nullptr);
      char* argv[] = {const_cast<char*>(PGHA_PROVIDER_BINARY), nullptr};
      execve(PGHA_PROVIDER_BINARY, argv, envp.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    stdout_ = out[0];
    stderr_ = err[0];
  }

  ~PluginProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(stdout_);
    close(stderr_);
  }

  // The first stdout line, or "" on timeout/EOF.
  std::string ReadLine(std::chrono::milliseconds timeout = 10s) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{stdout_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char c;
      if (read(stdout_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line.push_back(c);
    }
    return line;
  }

  std::string ReadStderr() {
    std::string all;
    char buf[4096];
    fcntl(stderr_, F_SETFL, O_NONBLOCK);
    ssize_t n;
    while ((n = read(stderr_, buf, sizeof(buf))) > 0) all.append(buf, static_cast<size_t>(n));
    return all;
  }

  // Exit status, or -1 if still running after `timeout`.
  int WaitExit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
  int stderr_ = -1;
  bool exited_ = false;
};

std::vector<std::string> PluginEnv(const std::string& client_cert = "") {
  std::vector<std::string> env = {std::string(kMagicCookieKey) + "=" + std::string(kMagicCookieValue),
                                  "PLUGIN_PROTOCOL_VERSIONS=5,6", "PATH=/usr/bin:/bin", "TMPDIR=/tmp"};
  if (!client_cert.empty()) env.push_back("PLUGIN_CLIENT_CERT=" + client_cert);
  // The sanitizers' settings reach the provider too (scripts/tsan sends its reports to files).
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
    if (const char* v = std::getenv(name)) env.push_back(std::string(name) + "=" + v);
  }
  return env;
}

struct Handshake {
  std::string network, address, cert_b64;
};

Handshake ParseHandshake(const std::string& line) {
  std::vector<std::string> f = absl::StrSplit(line, '|');
  EXPECT_EQ(f.size(), 6u) << line;
  if (f.size() != 6) return {};
  EXPECT_EQ(f[0], "1");
  EXPECT_EQ(f[1], "6");
  EXPECT_EQ(f[4], "grpc");
  return {f[2], f[3], f[5]};
}

std::string DerB64ToPem(std::string b64) {
  while (b64.size() % 4) b64.push_back('=');
  std::string der(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(der.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  size_t pad = std::count(b64.end() - 2, b64.end(), '=');
  der.resize(static_cast<size_t>(n) - pad);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  pki::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  return cert ? pki::CertificateToPem(cert.get()) : "";
}

grpc::Status GetSchema(std::shared_ptr<grpc::Channel> channel, tfplugin6::GetProviderSchema::Response* out) {
  auto stub = tfplugin6::Provider::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 5s);
  tfplugin6::GetProviderSchema::Request req;
  return stub->GetProviderSchema(&ctx, req, out);
}

std::shared_ptr<grpc::Channel> TlsChannel(const Handshake& hs, const std::string& server_pem,
                                          const HostIdentity* client) {
  grpc::SslCredentialsOptions opts;
  opts.pem_root_certs = server_pem;
  if (client) {
    opts.pem_private_key = client->key_pem;
    opts.pem_cert_chain = client->cert_pem;
  }
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  return grpc::CreateCustomChannel("unix:" + hs.address, grpc::SslCredentials(opts), args);
}

void Shutdown(std::shared_ptr<grpc::Channel> channel) {
  auto stub = ::plugin::GRPCController::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 5s);
  ::plugin::Empty in, out;
  EXPECT_TRUE(stub->Shutdown(&ctx, in, &out).ok());
}

TEST(PluginServer, RefusesToRunWithoutTheMagicCookie) {
  PluginProcess p({"PATH=/usr/bin:/bin"});
  EXPECT_EQ(p.WaitExit(10s), 1);
  EXPECT_NE(p.ReadStderr().find("This binary is a plugin"), std::string::npos);
  EXPECT_EQ(p.ReadLine(100ms), "");
}

TEST(PluginServer, RefusesAHostThatCannotSpeakProtocolSix) {
  std::vector<std::string> env = {std::string(kMagicCookieKey) + "=" + std::string(kMagicCookieValue),
                                  "PLUGIN_PROTOCOL_VERSIONS=4,5"};
  PluginProcess p(env);
  EXPECT_NE(p.WaitExit(10s), 0);
  EXPECT_NE(p.ReadStderr().find("protocol 6"), std::string::npos);
}

TEST(PluginServer, RefusesToServePlaintextWithoutTheHostCertificate) {
  // Outside -debug, no PLUGIN_CLIENT_CERT (or an empty one) means anyone who can
  // reach the socket could drive the provider: it refuses to serve at all.
  for (const std::string& cert : {std::string(), std::string(" ")}) {
    std::vector<std::string> env = PluginEnv();
    if (!cert.empty()) env.push_back("PLUGIN_CLIENT_CERT=");
    PluginProcess p(env);
    EXPECT_NE(p.WaitExit(10s), 0);
    EXPECT_NE(p.ReadStderr().find("PLUGIN_CLIENT_CERT"), std::string::npos);
  }
}

TEST(PluginServer, SurvivesCtrlCAndShutsDownPromptly) {
  HostIdentity host = MakeHostIdentity();
  PluginProcess p(PluginEnv(host.cert_pem));
  Handshake hs = ParseHandshake(p.ReadLine());
  EXPECT_EQ(hs.network, "unix");
  auto channel = TlsChannel(hs, DerB64ToPem(hs.cert_b64), &host);
  tfplugin6::GetProviderSchema::Response schema;
  ASSERT_TRUE(GetSchema(channel, &schema).ok());
  EXPECT_TRUE(schema.server_capabilities().plan_destroy());

  // Ctrl-C reaches the whole process group; the provider must not die of it.
  kill(p.pid(), SIGINT);
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(GetSchema(channel, &schema).ok());

  const auto start = std::chrono::steady_clock::now();
  Shutdown(channel);
  EXPECT_EQ(p.WaitExit(2s), 0);  // go-plugin kills after 2 s
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_FALSE(std::filesystem::exists(hs.address)) << "socket left behind";
}

// What the process has mapped, from /proc: shared objects by file name.
std::string MappedFiles(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::stringstream all;
  all << maps.rdbuf();
  return all.str();
}

TEST(PluginServer, ASchemaOnlyRunNeverLoadsLibvirt) {
  // libvirt and the ~45 libraries it pulls in are dlopened by the first VM
  // call; Terraform starts the provider many times for schemas, validation and
  // certificates, and none of those pays for them.
  HostIdentity host = MakeHostIdentity();
  PluginProcess p(PluginEnv(host.cert_pem));
  Handshake hs = ParseHandshake(p.ReadLine());
  auto channel = TlsChannel(hs, DerB64ToPem(hs.cert_b64), &host);
  tfplugin6::GetProviderSchema::Response schema;
  ASSERT_TRUE(GetSchema(channel, &schema).ok());
  const std::string maps = MappedFiles(p.pid());
  ASSERT_NE(maps.find("terraform-provider-pgha"), std::string::npos) << maps;
  EXPECT_EQ(maps.find("libvirt.so"), std::string::npos);
  EXPECT_EQ(maps.find("libxml2.so"), std::string::npos);
  EXPECT_EQ(maps.find("libglib-2.0.so"), std::string::npos);
  Shutdown(channel);
  EXPECT_EQ(p.WaitExit(2s), 0);
}

TEST(PluginServer, AutoMtlsAdmitsOnlyTheHostCertificate) {
  HostIdentity host = MakeHostIdentity();
  PluginProcess p(PluginEnv(host.cert_pem));
  Handshake hs = ParseHandshake(p.ReadLine());
  ASSERT_GT(hs.cert_b64.size(), 50u);
  EXPECT_EQ(hs.cert_b64.find('='), std::string::npos);
  const std::string server_pem = DerB64ToPem(hs.cert_b64);
  ASSERT_FALSE(server_pem.empty());
  auto server_cert = pki::ParseCertificates(server_pem);
  ASSERT_TRUE(server_cert.ok());
  EXPECT_EQ(X509_check_host(server_cert->front().get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(server_cert->front().get())), 256);

  tfplugin6::GetProviderSchema::Response schema;
  // No client certificate: refused.
  EXPECT_FALSE(GetSchema(TlsChannel(hs, server_pem, nullptr), &schema).ok());
  // A different certificate with the same subject: refused.
  HostIdentity impostor = MakeHostIdentity();
  EXPECT_FALSE(GetSchema(TlsChannel(hs, server_pem, &impostor), &schema).ok());
  // Plaintext: refused.
  EXPECT_FALSE(
      GetSchema(grpc::CreateChannel("unix:" + hs.address, grpc::InsecureChannelCredentials()), &schema).ok());
  // The host's own certificate: served.
  auto channel = TlsChannel(hs, server_pem, &host);
  ASSERT_TRUE(GetSchema(channel, &schema).ok());
  EXPECT_TRUE(schema.resource_schemas().contains("pgha_certificate"));

  // go-plugin's health check for service "plugin" answers SERVING.
  grpc::GenericStub health(channel);
  const std::string request("\x0a\x06plugin", 8);  // HealthCheckRequest{service: "plugin"}
  grpc::Slice slice(request.data(), request.size());
  grpc::ByteBuffer in(&slice, 1), out;
  grpc::ClientContext health_ctx;
  std::promise<grpc::Status> health_done;
  health.UnaryCall(&health_ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &in, &out,
                   [&](grpc::Status s) { health_done.set_value(s); });
  ASSERT_TRUE(health_done.get_future().get().ok());
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(out.Dump(&slices).ok());
  std::string reply;
  for (const auto& s : slices) reply.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_EQ(reply, std::string("\x08\x01", 2));  // status: SERVING

  // StopProvider cancels work but does not end the process.
  auto stub = tfplugin6::Provider::NewStub(channel);
  grpc::ClientContext ctx;
  tfplugin6::StopProvider::Request stop;
  tfplugin6::StopProvider::Response stopped;
  ASSERT_TRUE(stub->StopProvider(&ctx, stop, &stopped).ok());
  EXPECT_EQ(p.WaitExit(200ms), -1);

  Shutdown(channel);
  EXPECT_EQ(p.WaitExit(2s), 0);
}

TEST(PluginServer, SigtermCleansUp) {
  HostIdentity host = MakeHostIdentity();
  PluginProcess p(PluginEnv(host.cert_pem));
  Handshake hs = ParseHandshake(p.ReadLine());
  ASSERT_TRUE(std::filesystem::exists(hs.address));
  kill(p.pid(), SIGTERM);
  EXPECT_EQ(p.WaitExit(2s), 0);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(hs.address).parent_path()));
}

}  // namespace
}  // namespace pgha::plugin
