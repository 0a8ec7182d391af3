// OpenSSL reports failures through a per-thread error queue; this turns the
// queue's first entry into a Status and leaves the queue empty, so a later,
// unrelated failure never reports a stale reason.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace pgha::pki {

// Internal: "<what>: <OpenSSL's reason>", or "unknown OpenSSL error" when the
// queue is empty.
absl::Status OpenSslError(std::string_view what);

}  // namespace pgha::pki
