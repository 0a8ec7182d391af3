// The agents any pgha VM may run beside its service: chrony for time,
// fluent-bit for log forwarding (static, or synced from etcd), and the
// Prometheus node exporter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "roles/pieces.h"

namespace pgha::roles {

struct TimeSource {
  std::string host;
  std::vector<std::string> options;  // e.g. iburst, "maxsources 3"
};

struct Chrony {
  std::vector<TimeSource> servers;
  std::vector<TimeSource> pools;
  std::optional<std::string> makestep_threshold;  // seconds, as written by the user
  int64_t makestep_limit = 0;
};

struct FluentBitForward {
  std::string host;
  int64_t port = 0;
  std::string self_hostname;
  std::string shared_key;
  std::string ca_cert;
};

struct FluentBitEtcdSource {
  std::string key_prefix;
  std::vector<std::string> endpoints;  // host:port
  std::string ca_cert, client_cert, client_key, username, password;
};

struct FluentBit {
  std::string service_tag;
  std::string service_unit;  // e.g. etcd.service
  std::string node_exporter_tag;
  std::string buffer_total_limit_size;  // empty: memory buffering only
  std::optional<FluentBitForward> forward;
  std::optional<FluentBitEtcdSource> dynamic_config;
};

struct NodeExporter {
  std::string listen_address;
};

struct HostAgents {
  std::optional<Chrony> chrony;
  std::optional<FluentBit> fluentbit;
  std::optional<NodeExporter> node_exporter;
};

// A runcmd entry that fails, with a line on the console, unless fluent-bit
// is running: fluent-bit comes from the image, not Debian's archive.
std::vector<std::string> FluentBitRunningCheck();

absl::StatusOr<RolePieces> RenderHostAgents(const HostAgents& agents);

}  // namespace pgha::roles
