#include "health/health.h"

#include <thread>

#include "base/strings.h"
#include "cloudinit/yaml_template.h"
#include "nlohmann/json.hpp"

namespace pgha::health {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string StringOr(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<int64_t> IntOr(const json& j, const char* key) {
  auto it = j.find(key);
  if (it != j.end() && it->is_number_integer()) return it->get<int64_t>();
  return std::nullopt;
}

std::vector<std::string> Strings(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& e : *it) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

// How the agent's absence reads in a diagnostic: what to check, and the fix.
std::string AgentMissing(const agent::GuestAgent& agent, std::string_view error) {
  return pgha::StrCat("the QEMU guest agent of ", agent.channel().Describe(),
                      " never answered (last: ", error,
                      "). The guest must run qemu-guest-agent: it is in pgha's guest image, and "
                      "install_dependencies = true installs it; if the VM is still booting (slow under "
                      "emulation) raise timeouts.create, or set wait_for_healthy = false to skip the wait.");
}

}  // namespace

std::string_view ServiceName(Service s) {
  switch (s) {
    case Service::kEtcd:
      return "etcd";
    case Service::kPatroni:
      return "patroni";
    case Service::kHaproxy:
      return "haproxy";
    case Service::kPgbackrest:
      return "pgbackrest";
  }
  return "";
}

std::string Health::Describe() const {
  std::string out = pgha::StrCat("service: ", problem.empty() ? (healthy ? "healthy" : "not healthy") : problem, "\n");
  if (!role.empty()) out += pgha::StrCat("role: ", role, "\n");
  out += pgha::StrCat("cloud-init: ", cloud_init_stage.empty() ? "unknown" : cloud_init_stage,
                      cloud_init_done ? " (finished)" : "", "\n");
  for (const auto& e : cloud_init_errors) out += pgha::StrCat("cloud-init error: ", e, "\n");
  for (const auto& line : cloud_init_output) out += pgha::StrCat("cloud-init output: ", line, "\n");
  out += pgha::StrCat("unit: ", unit_state.empty() ? "unknown" : unit_state);
  if (unit_restarts > 0) out += pgha::StrCat(", restarted ", unit_restarts, " times");
  out += "\n";
  if (!journal.empty()) {
    out += "last journal lines:\n";
    for (const auto& line : journal) out += pgha::StrCat("  ", line, "\n");
  }
  return out;
}

bool Health::BootFinished() const {
  // No status file: cloud-init is disabled on this boot (its local stage runs before the network, so
  // long before a service could be healthy).
  return cloud_init_done || cloud_init_stage == "not started";
}

absl::StatusOr<Health> ParseReport(std::string_view text) {
  // The report is what the probe printed, or else its last line (a library may warn first).
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (const auto nl = text.rfind('\n'); nl != std::string_view::npos) text.remove_prefix(nl + 1);
    j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  }
  if (!j.is_object()) return absl::InternalError("the health probe printed no report");
  Health h;
  h.healthy = j.value("healthy", false);
  h.cluster_healthy = j.value("cluster_healthy", false);
  h.member_names = Strings(j, "member_names");
  h.role = StringOr(j, "role");
  h.problem = StringOr(j, "problem");
  h.lag_bytes = IntOr(j, "lag_bytes");
  h.timeline = IntOr(j, "timeline");
  h.member_id = StringOr(j, "member_id");
  if (auto it = j.find("is_leader"); it != j.end() && it->is_boolean()) h.is_leader = it->get<bool>();
  if (auto ci = j.find("cloud_init"); ci != j.end() && ci->is_object()) {
    h.cloud_init_stage = StringOr(*ci, "stage");
    h.cloud_init_done = ci->value("done", false);
    h.cloud_init_errors = Strings(*ci, "errors");
    h.cloud_init_output = Strings(*ci, "output");
  }
  if (auto unit = j.find("unit"); unit != j.end() && unit->is_object()) {
    h.unit_state = StringOr(*unit, "state");
    h.unit_restarts = IntOr(*unit, "restarts").value_or(0);
    h.journal = Strings(*unit, "journal");
  }
  return h;
}

absl::StatusOr<Health> Probe(agent::GuestAgent& agent, Service service, Depth depth) {
  auto script = cloudinit::EmbeddedTemplate("agent/probe.py");
  if (!script.ok()) return script.status();
  agent::Command c;
  // At a lower priority than the services it watches: under emulation, or on
  // any busy guest, the probe's Python and etcdctl would otherwise take CPU from
  // etcd's heartbeats and Patroni's loop, the very things it reports on.
  c.argv = {"/usr/bin/nice", "-n", "10", "/usr/bin/python3", "-", std::string(ServiceName(service))};
  if (depth == Depth::kWait) c.argv.push_back("wait");
  c.input = std::string(*script);
  // pgBackRest's check may wait up to 30 s for the repository to receive a segment.
  c.deadline = std::chrono::seconds(depth == Depth::kWait ? 120 : 60);
  auto out = agent.Run(c);
  if (!out.ok()) return out.status();
  auto report = ParseReport(out->out);
  if (!report.ok()) {
    return absl::InternalError(pgha::StrCat("the health probe in ", agent.channel().Describe(), " failed (exit ",
                                            out->exit_code, "): ", out->err.substr(0, 500)));
  }
  return report;
}

absl::StatusOr<Health> WaitHealthy(agent::GuestAgent& agent, Service service, const WaitOptions& options) {
  const auto deadline = Clock::now() + options.timeout;
  std::optional<Health> last;
  std::string last_error = "no answer yet";
  bool agent_answered = false;
  for (;;) {
    auto h = Probe(agent, service, Depth::kWait);
    if (h.ok()) {
      agent_answered = true;
      if (h->healthy && h->BootFinished()) return h;
      if (h->healthy) {
        h->problem = pgha::StrCat("the service is up, but cloud-init is still configuring this boot (",
                                  h->cloud_init_stage, ") and its commands may restart it");
      }
      last = std::move(*h);
    } else {
      last_error = std::string(h.status().message());
      // The agent answered but the probe itself failed: a fact worth keeping.
      if (h.status().code() != absl::StatusCode::kUnavailable) agent_answered = true;
    }
    if (Clock::now() + options.interval > deadline) break;
    if (options.cancelled) {
      for (auto slept = std::chrono::milliseconds(0); slept < options.interval; slept += std::chrono::milliseconds(200)) {
        if (options.cancelled()) return absl::CancelledError("cancelled while waiting for the service to be healthy");
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    } else {
      std::this_thread::sleep_for(options.interval);
    }
  }
  const std::string waited = pgha::StrCat("not healthy after ", options.timeout.count(), " s");
  if (!agent_answered) return absl::DeadlineExceededError(pgha::StrCat(waited, ": ", AgentMissing(agent, last_error)));
  if (!last) return absl::DeadlineExceededError(pgha::StrCat(waited, "; the last probe failed: ", last_error));
  return absl::DeadlineExceededError(pgha::StrCat(waited, "; last seen:\n", last->Describe()));
}

}  // namespace pgha::health
