#include "agent/agent.h"

#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "base/strings.h"
#include "nlohmann/json.hpp"

namespace pgha::agent {
namespace {

using nlohmann::json;
using std::chrono::seconds;

// One agent round trip: the guest runs nothing long inside a command.
constexpr seconds kCallTimeout{30};
// Extra time after a command's deadline for timeout(1) to kill it and the agent to notice.
constexpr seconds kKillGrace{15};

// Replaces the file atomically. Its arguments are data ($1 path, $2 owner,
// $3 mode), never part of the script, so no value is ever parsed as shell.
constexpr const char* kAtomicWrite = R"(set -eu
umask 077
tmp=$(mktemp -- "$1.pgha-XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
chown -- "$2" "$tmp"
chmod -- "$3" "$tmp"
sync -- "$tmp"
mv -f -- "$tmp" "$1"
trap - EXIT
)";

}  // namespace

std::string EncodeBase64(std::string_view data) { return absl::Base64Escape(absl::string_view(data.data(), data.size())); }

absl::StatusOr<std::string> DecodeBase64(std::string_view text) {
  // The agent always pads; absl would also take unpadded text, so insist on whole quads.
  if (text.size() % 4 != 0) return absl::InvalidArgumentError("base64 text of a length that is not a multiple of 4");
  std::string out;
  if (!absl::Base64Unescape(absl::string_view(text.data(), text.size()), &out)) {
    return absl::InvalidArgumentError("invalid base64");
  }
  return out;
}

absl::StatusOr<std::string> GuestAgent::Execute(const std::string& command, seconds timeout) {
  auto reply = channel_.Call(command, timeout);
  if (!reply.ok()) {
    return absl::Status(reply.status().code(),
                        pgha::StrCat("the guest agent of ", channel_.Describe(), " did not answer: ",
                                     reply.status().message()));
  }
  const json parsed = json::parse(*reply, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return absl::InternalError("the guest agent answered something that is not JSON");
  if (auto e = parsed.find("error"); e != parsed.end()) {
    const std::string desc = e->is_object() && e->contains("desc") && (*e)["desc"].is_string()
                                 ? (*e)["desc"].get<std::string>()
                                 : e->dump();
    return absl::FailedPreconditionError(pgha::StrCat("the guest agent of ", channel_.Describe(), " refused: ", desc));
  }
  auto r = parsed.find("return");
  if (r == parsed.end()) return absl::InternalError("the guest agent's reply has no result");
  return r->dump();
}

absl::Status GuestAgent::Ping(seconds timeout) {
  return Execute(json{{"execute", "guest-ping"}}.dump(), timeout).status();
}

absl::StatusOr<Outcome> GuestAgent::Run(const Command& command) {
  if (command.argv.empty() || command.argv[0].empty() || command.argv[0][0] != '/') {
    return absl::InvalidArgumentError("a guest command needs an absolute program path");
  }
  // timeout(1) enforces the deadline inside the guest, so a hung program
  // never outlives the apply that started it.
  json args = json::array({"--kill-after=5", pgha::StrCat(command.deadline.count(), "s")});
  for (const auto& a : command.argv) args.push_back(a);
  json request = {{"execute", "guest-exec"},
                  {"arguments", {{"path", "/usr/bin/timeout"}, {"arg", args}, {"capture-output", true}}}};
  if (!command.input.empty()) request["arguments"]["input-data"] = EncodeBase64(command.input);
  auto started = Execute(request.dump(), kCallTimeout);
  if (!started.ok()) return started.status();
  const json pid_reply = json::parse(*started, nullptr, false);
  if (!pid_reply.is_object() || !pid_reply.contains("pid") || !pid_reply["pid"].is_number_integer()) {
    return absl::InternalError("guest-exec returned no pid");
  }
  const int64_t pid = pid_reply["pid"].get<int64_t>();
  const std::string status_request = json{{"execute", "guest-exec-status"}, {"arguments", {{"pid", pid}}}}.dump();
  const auto give_up = std::chrono::steady_clock::now() + command.deadline + kKillGrace;
  auto pause = std::chrono::milliseconds(20);
  for (;;) {
    auto status = Execute(status_request, kCallTimeout);
    if (!status.ok()) return status.status();
    const json s = json::parse(*status, nullptr, false);
    if (s.is_object() && s.value("exited", false)) {
      Outcome out;
      if (s.contains("signal") && s["signal"].is_number_integer()) {
        out.exit_code = 128 + s["signal"].get<int>();
      } else {
        out.exit_code = s.value("exitcode", -1);
      }
      for (const auto& [key, target] : {std::pair<const char*, std::string*>{"out-data", &out.out}, {"err-data", &out.err}}) {
        if (!s.contains(key) || !s[key].is_string()) continue;
        auto decoded = DecodeBase64(s[key].get<std::string>());
        if (!decoded.ok()) return decoded.status();
        if (decoded->size() > command.max_output) {
          decoded->resize(command.max_output);
          out.truncated = true;
        }
        *target = std::move(*decoded);
      }
      if (s.value("out-truncated", false) || s.value("err-truncated", false)) out.truncated = true;
      // 124: timeout(1) stopped it; 137: it needed the SIGKILL too.
      if (out.exit_code == 124 || out.exit_code == 137) {
        return absl::DeadlineExceededError(pgha::StrCat(command.argv[0], " in ", channel_.Describe(),
                                                        " did not finish within ", command.deadline.count(), " s"));
      }
      return out;
    }
    if (std::chrono::steady_clock::now() > give_up) {
      return absl::DeadlineExceededError(pgha::StrCat(command.argv[0], " in ", channel_.Describe(),
                                                      " did not finish within ", command.deadline.count(), " s"));
    }
    if (cancelled_ && cancelled_()) return absl::CancelledError("cancelled while a guest command ran");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
}

absl::Status GuestAgent::WriteFile(const std::string& path, const std::string& content, const std::string& owner,
                                   const std::string& mode) {
  Command c;
  c.argv = {"/bin/sh", "-c", kAtomicWrite, "pgha-write-file", path, owner, mode};
  c.input = content;
  c.deadline = seconds(60);
  auto out = Run(c);
  if (!out.ok()) return out.status();
  if (out->exit_code != 0) {
    return absl::FailedPreconditionError(
        pgha::StrCat("writing ", path, " in ", channel_.Describe(), " failed: ", std::string(absl::StripAsciiWhitespace(out->err))));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> GuestAgent::ReadFile(const std::string& path, size_t max_bytes) {
  Command c;
  c.argv = {"/usr/bin/head", "-c", std::to_string(max_bytes), "--", path};
  c.deadline = seconds(30);
  c.max_output = max_bytes;
  auto out = Run(c);
  if (!out.ok()) return out.status();
  if (out->exit_code != 0) {
    const std::string why = std::string(absl::StripAsciiWhitespace(out->err));
    if (why.find("No such file") != std::string::npos) {
      return absl::NotFoundError(pgha::StrCat(path, " does not exist in ", channel_.Describe()));
    }
    return absl::FailedPreconditionError(pgha::StrCat("reading ", path, " in ", channel_.Describe(), " failed: ", why));
  }
  return std::move(out->out);
}

}  // namespace pgha::agent
