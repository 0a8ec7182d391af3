// Debian's real etcd 3.4, several members on 127.0.0.1 in a temporary
// directory, as pgha's VMs run it: peer and client TLS with client
// certificates required, authentication on (root with a password, and the
// root client certificate). Used by the etcd membership unit tests.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "etcd/client.h"
#include "gtest/gtest.h"
#include "pki/certificate.h"
#include "pki/key.h"
#include "pki/pem.h"

extern char** environ;

namespace pgha::testing {

class RealEtcdTest : public ::testing::Test {
 protected:
  static constexpr const char* kRootPassword = "root-pw-'\"$x";

  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/etcd")) << "etcd is missing: scripts/install-deps installs etcd-server";
    dir_ = std::filesystem::temp_directory_path() /
           ("pgha-etcd-" + std::to_string(getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    // Ports of their own per process (ctest runs tests side by side): a block of 20 nobody
    // listens on now, starting from one the pid picks.
    base_port_ = FreePortBlock(21000 + (getpid() % 550) * 20);  // below the ephemeral range
    ASSERT_NE(base_port_, 0) << "no free block of 20 ports";
    Pki();
  }

  void TearDown() override {
    for (auto& [name, pid] : pids_) Stop(name);
    if (HasFailure()) {  // what etcd said, for the failure
      for (auto& [name, pid] : pids_) {
        const std::string log = Read(name + ".log");
        std::cerr << "--- " << name << ".log (end)\n" << log.substr(log.size() > 3000 ? log.size() - 3000 : 0) << "\n";
      }
    }
    std::filesystem::remove_all(dir_);
  }

  std::string ClientUrl(int i) const { return "https://127.0.0.1:" + std::to_string(base_port_ + 2 * i); }
  std::string PeerUrl(int i) const { return "https://127.0.0.1:" + std::to_string(base_port_ + 2 * i + 1); }
  static std::string Name(int i) { return "m" + std::to_string(i); }

  // Members 1..n form a new cluster, with authentication enabled.
  void StartCluster(int n) {
    std::string initial;
    for (int i = 1; i <= n; ++i) initial += (i > 1 ? "," : "") + Name(i) + "=" + PeerUrl(i);
    for (int i = 1; i <= n; ++i) StartMember(i, initial, "new");
    std::vector<std::string> endpoints;
    for (int i = 1; i <= n; ++i) endpoints.push_back(ClientUrl(i));
    WaitUntil([&] { return Etcdctl(endpoints, {"endpoint", "health"}) == 0; }, "the new cluster to be healthy");
    ASSERT_EQ(Etcdctl(endpoints, {"user", "add", "root", "--interactive=false"}, std::string(kRootPassword) + "\n"), 0);
    ASSERT_EQ(Etcdctl(endpoints, {"user", "grant-role", "root", "root"}), 0);
    ASSERT_EQ(Etcdctl(endpoints, {"auth", "enable"}), 0);
  }

  // Member i joins with this initial-cluster and initial-cluster-state.
  void StartMember(int i, const std::string& initial_cluster, const std::string& state) {
    const std::string d = (dir_ / Name(i)).string();
    std::vector<std::string> args = {
        "/usr/bin/etcd", "--name", Name(i), "--data-dir", d,
        "--listen-client-urls", ClientUrl(i), "--advertise-client-urls", ClientUrl(i),
        "--listen-peer-urls", PeerUrl(i), "--initial-advertise-peer-urls", PeerUrl(i),
        "--initial-cluster", initial_cluster, "--initial-cluster-state", state, "--initial-cluster-token", "pgha-test",
        "--client-cert-auth", "--trusted-ca-file", Path("ca.crt"), "--cert-file", Path("member.crt"),
        "--key-file", Path("member.key"), "--peer-client-cert-auth", "--peer-trusted-ca-file", Path("ca.crt"),
        "--peer-cert-file", Path("member.crt"), "--peer-key-file", Path("member.key"),
        "--heartbeat-interval", "100", "--election-timeout", "1000"};
    pids_[Name(i)] = Spawn(args, (dir_ / (Name(i) + ".log")).string());
  }

  void Stop(const std::string& name) {
    auto it = pids_.find(name);
    if (it == pids_.end() || it->second <= 0) return;
    kill(it->second, SIGKILL);
    waitpid(it->second, nullptr, 0);
    it->second = -1;
  }

  // SIGSTOP / SIGCONT: a member that takes connections and never answers, as an overloaded host's.
  void Freeze(const std::string& name) { Signal(name, SIGSTOP); }
  void Thaw(const std::string& name) { Signal(name, SIGCONT); }
  void Signal(const std::string& name, int signal) {
    auto it = pids_.find(name);
    if (it != pids_.end() && it->second > 0) kill(it->second, signal);
  }

  // A client as root: by certificate (CN root) or by password.
  etcd::Client RootClient(const std::vector<std::string>& endpoints, bool by_password = false,
                          std::chrono::milliseconds call_timeout = std::chrono::seconds(5)) const {
    etcd::Credentials c;
    c.ca_pem = Read("ca.crt");
    if (by_password) {
      c.cert_pem = Read("member.crt");  // client-cert-auth wants a certificate; the password names the user
      c.key_pem = Read("member.key");
      c.user = "root";
      c.password = kRootPassword;
    } else {
      c.cert_pem = Read("root.crt");
      c.key_pem = Read("root.key");
    }
    return etcd::Client(endpoints, c, call_timeout);
  }

  int Etcdctl(const std::vector<std::string>& endpoints, std::vector<std::string> command, const std::string& input = "") {
    std::string joined;
    for (const auto& e : endpoints) joined += (joined.empty() ? "" : ",") + e;
    std::vector<std::string> args = {"/usr/bin/etcdctl", "--endpoints", joined, "--cacert", Path("ca.crt"), "--cert",
                                     Path("root.crt"), "--key", Path("root.key"), "--command-timeout=5s"};
    args.insert(args.end(), command.begin(), command.end());
    const std::string in = (dir_ / "stdin").string();
    std::ofstream(in) << input;
    pid_t pid = Spawn(args, (dir_ / "etcdctl.log").string(), in);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  template <typename Predicate>
  void WaitUntil(Predicate done, const std::string& what, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      ASSERT_LT(std::chrono::steady_clock::now(), until) << "timed out waiting for " << what;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  std::string Path(const std::string& file) const { return (dir_ / file).string(); }
  std::string Read(const std::string& file) const {
    std::ifstream in(dir_ / file);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::filesystem::path dir_;
  int base_port_ = 0;
  std::map<std::string, pid_t> pids_;

 private:
  void Pki() {
    auto ca_key = pki::GenerateKey(pki::KeyAlgorithm::kEcdsaP256);
    ASSERT_TRUE(ca_key.ok());
    pki::CertificateRequest ca_request{.common_name = "pgha test CA", .allowed_uses = {"cert_signing", "crl_signing"},
                                       .is_ca = true, .not_before = std::time(nullptr) - 60, .validity_hours = 24};
    auto ca = pki::IssueCertificate(ca_request, ca_key->get(), nullptr, ca_key->get());
    ASSERT_TRUE(ca.ok()) << ca.status();
    Write("ca.crt", pki::CertificateToPem(ca->cert.get()));
    auto issue = [&](const std::string& stem, pki::CertificateRequest req) {
      auto key = pki::GenerateKey(pki::KeyAlgorithm::kEcdsaP256);
      ASSERT_TRUE(key.ok());
      req.not_before = std::time(nullptr) - 60;
      req.validity_hours = 24;
      auto cert = pki::IssueCertificate(req, key->get(), ca->cert.get(), ca_key->get());
      ASSERT_TRUE(cert.ok()) << cert.status();
      Write(stem + ".crt", pki::CertificateToPem(cert->cert.get()));
      Write(stem + ".key", pki::PrivateKeyToPem(key->get()));
    };
    issue("member", {.common_name = "etcd-member", .ip_addresses = {"127.0.0.1"},
                     .allowed_uses = {"digital_signature", "key_encipherment", "server_auth", "client_auth"}});
    issue("root", {.common_name = "root", .allowed_uses = {"digital_signature", "key_encipherment", "client_auth"}});
  }

  void Write(const std::string& file, const std::string& content) {
    std::ofstream(dir_ / file) << content;
    std::filesystem::permissions(dir_ / file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }

  static int FreePortBlock(int first) {
    for (int base = first, tries = 0; tries < 50; ++tries, base = 21000 + (base - 21000 + 20 * 37) % 11000) {
      bool free = true;
      for (int p = base; p < base + 20 && free; ++p) {
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(p));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        close(fd);
      }
      if (free) return base;
    }
    return 0;
  }

  static pid_t Spawn(std::vector<std::string> args, const std::string& log, const std::string& in = "/dev/null") {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
  }
};

}  // namespace pgha::testing
