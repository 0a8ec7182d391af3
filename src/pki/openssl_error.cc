#include "pki/openssl_error.h"

#include <openssl/err.h>

#include "base/strings.h"

namespace pgha::pki {

absl::Status OpenSslError(std::string_view what) {
  const unsigned long err = ERR_get_error();
  ERR_clear_error();
  const char* reason = err ? ERR_reason_error_string(err) : nullptr;
  return absl::InternalError(pgha::StrCat(what, ": ", reason ? reason : "unknown OpenSSL error"));
}

}  // namespace pgha::pki
