// pgha-provider-probe: launches a Terraform provider binary the way
// go-plugin does (magic cookie, protocol negotiation, AutoMTLS with a fresh
// host certificate), and measures what Terraform pays per provider process:
// time to the handshake line, the mutual-TLS connection, GetProviderSchema (protocol 6) or GetSchema
// (protocol 5) latency, and peak resident memory. Works for any provider, so
// scripts/bench can compare pgha with Go providers in the same run.
//
//   pgha-provider-probe [--runs N] [--smaps FILE] PROVIDER_BINARY...
// With several binaries the launches alternate (A B C A B C ...), so that a
// busy moment on the machine falls on all of them alike and their ratios hold.
// --smaps copies the first binary's /proc/PID/smaps, taken where peak RSS is
// read, to FILE: where its memory is, by mapping.
// Prints one JSON object with medians per binary, one per line.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "pki/certificate.h"
#include "pki/key.h"
#include "pki/pem.h"
#include "plugin/handshake.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Host {
  std::string cert_pem, key_pem;
};

Host MakeHost() {
  auto key = pgha::pki::GenerateKey(pgha::pki::KeyAlgorithm::kEcdsaP256);
  pgha::pki::CertificateRequest r;
  r.common_name = "localhost";
  r.dns_names = {"localhost"};
  r.is_ca = true;
  r.allowed_uses = {"digital_signature", "key_encipherment", "cert_signing", "client_auth", "server_auth"};
  r.not_before = std::time(nullptr) - 30;
  r.validity_hours = 24;
  auto issued = pgha::pki::IssueCertificate(r, key->get(), nullptr, key->get());
  return {pgha::pki::CertificateToPem(issued->cert.get()), pgha::pki::PrivateKeyToPem(key->get())};
}

std::string DerToPem(std::string b64) {
  while (b64.size() % 4) b64.push_back('=');
  std::string der(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(der.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  der.resize(static_cast<size_t>(n) - std::count(b64.end() - 2, b64.end(), '='));
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  pgha::pki::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  return cert ? pgha::pki::CertificateToPem(cert.get()) : "";
}

long PeakRssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Where --smaps writes; empty for none.
std::string smaps_file;

struct Sample {
  double handshake_ms = 0, connect_ms = 0, schema_ms = 0, exit_ms = 0;
  long rss_kib = 0;
  size_t schema_bytes = 0;
  int protocol = 0;
};

bool Call(grpc::GenericStub& stub, const std::string& method, grpc::ByteBuffer* response, bool quiet = false) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 30s);
  grpc::ByteBuffer request;  // an empty message encodes as zero bytes
  grpc::Slice empty("", 0);
  request = grpc::ByteBuffer(&empty, 1);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok() && !quiet) std::fprintf(stderr, "%s: %s\n", method.c_str(), status.error_message().c_str());
  return status.ok();
}

std::optional<Sample> Probe(const std::string& binary, const Host& host, bool save_smaps) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return std::nullopt;
  const auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDERR_FILENO);
    setenv(std::string(pgha::plugin::kMagicCookieKey).c_str(), std::string(pgha::plugin::kMagicCookieValue).c_str(),
           1);
    setenv("PLUGIN_PROTOCOL_VERSIONS", "5,6", 1);
    setenv("PLUGIN_MIN_PORT", "10000", 1);
    setenv("PLUGIN_MAX_PORT", "25000", 1);
    setenv("PLUGIN_CLIENT_CERT", host.cert_pem.c_str(), 1);
    execl(binary.c_str(), binary.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  const auto handshake = Clock::now();
  close(out[0]);
  std::vector<std::string> f = absl::StrSplit(line, '|');
  if (f.size() < 6) {
    std::fprintf(stderr, "bad handshake from %s: %s\n", binary.c_str(), line.c_str());
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return std::nullopt;
  }
  Sample s;
  s.protocol = std::stoi(f[1]);
  s.handshake_ms = std::chrono::duration<double, std::milli>(handshake - start).count();

  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = DerToPem(f[5]);
  tls.pem_private_key = host.key_pem;
  tls.pem_cert_chain = host.cert_pem;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  args.SetMaxReceiveMessageSize(64 << 20);
  const std::string target = (f[2] == "unix" ? "unix:" : "") + f[3];
  auto channel = grpc::CreateCustomChannel(target, grpc::SslCredentials(tls), args);
  const auto connect_start = Clock::now();
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + 30s)) {
    std::fprintf(stderr, "could not connect to %s\n", binary.c_str());
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return std::nullopt;
  }
  s.connect_ms = std::chrono::duration<double, std::milli>(Clock::now() - connect_start).count();
  grpc::GenericStub stub(channel);
  grpc::ByteBuffer schema;
  const auto schema_start = Clock::now();
  const std::string method =
      s.protocol == 6 ? "/tfplugin6.Provider/GetProviderSchema" : "/tfplugin5.Provider/GetSchema";
  if (!Call(stub, method, &schema)) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return std::nullopt;
  }
  s.schema_ms = std::chrono::duration<double, std::milli>(Clock::now() - schema_start).count();
  s.schema_bytes = schema.Length();
  s.rss_kib = PeakRssKib(pid);
  if (save_smaps && !smaps_file.empty()) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/smaps");
    std::ofstream(smaps_file) << in.rdbuf();
  }

  const auto exit_start = Clock::now();
  grpc::ByteBuffer ignored;
  // Old go-plugin servers drop the connection instead of replying: fine.
  Call(stub, "/plugin.GRPCController/Shutdown", &ignored, /*quiet=*/true);
  int status = 0;
  for (int i = 0; i < 300 && waitpid(pid, &status, WNOHANG) != pid; ++i) std::this_thread::sleep_for(10ms);
  s.exit_ms = std::chrono::duration<double, std::milli>(Clock::now() - exit_start).count();
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, WNOHANG);
  return s;
}

template <typename T>
T Median(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

struct Samples {
  std::vector<double> handshake, connect, schema, exit_ms;
  std::vector<long> rss;
  Sample last;
};

int main(int argc, char** argv) {
  int runs = 20;
  std::vector<std::string> binaries;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) {
      runs = std::stoi(argv[++i]);
    } else if (a == "--smaps" && i + 1 < argc) {
      smaps_file = argv[++i];
    } else {
      binaries.push_back(a);
    }
  }
  if (binaries.empty()) {
    std::fprintf(stderr, "usage: pgha-provider-probe [--runs N] [--smaps FILE] PROVIDER_BINARY...\n");
    return 2;
  }
  Host host = MakeHost();
  std::vector<Samples> all(binaries.size());
  for (int i = 0; i < runs; ++i) {
    for (size_t b = 0; b < binaries.size(); ++b) {
      auto s = Probe(binaries[b], host, b == 0);
      if (!s) return 1;
      Samples& out = all[b];
      out.handshake.push_back(s->handshake_ms);
      out.connect.push_back(s->connect_ms);
      out.schema.push_back(s->schema_ms);
      out.exit_ms.push_back(s->exit_ms);
      out.rss.push_back(s->rss_kib);
      out.last = *s;
    }
  }
  for (size_t b = 0; b < binaries.size(); ++b) {
    const Samples& x = all[b];
    nlohmann::json out = {{"binary", binaries[b]},
                          {"runs", runs},
                          {"protocol", x.last.protocol},
                          {"handshake_ms_median", Median(x.handshake)},
                          {"tls_connect_ms_median", Median(x.connect)},
                          {"schema_ms_median", Median(x.schema)},
                          {"shutdown_ms_median", Median(x.exit_ms)},
                          {"peak_rss_kib_median", Median(x.rss)},
                          {"schema_bytes", x.last.schema_bytes}};
    std::printf("%s\n", out.dump().c_str());
  }
  return 0;
}
