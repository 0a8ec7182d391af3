// Plan-time checks of certificates users hand to the cluster resources:
// warnings for what would make TLS fail later (a missing SAN or key usage),
// errors for what cannot work with these service versions.
#pragma once

#include <string>

#include "value/diagnostics.h"
#include "value/path.h"
#include "value/value.h"

namespace pgha::resources {

// Warns when the (known) PEM certificate at `path` has no IP SAN for `ip`;
// `purpose` names who would refuse it.
void WarnUnlessCoversIp(const value::Value& pem, const std::string& ip, const std::string& purpose,
                        const value::Path& path, value::Diagnostics& diags);
// Warns when the certificate lacks the clientAuth extended key usage.
void WarnUnlessClientAuth(const value::Value& pem, const std::string& purpose, const value::Path& path,
                          value::Diagnostics& diags);
// Errors when the certificate's subject has a CN.
void ErrorIfCommonName(const value::Value& pem, const std::string& why, const value::Path& path,
                       value::Diagnostics& diags);

// Errors when the certificate lacks `name`: as its CN when `as_common_name`,
// else among its SANs (a DNS name, or an IP address when `name` is one).
// `why` says who would refuse it.
void ErrorUnlessNamed(const value::Value& pem, const std::string& name, bool as_common_name, const std::string& why,
                      const value::Path& path, value::Diagnostics& diags);

// A private key as pgha writes it to a guest: re-encoded by OpenSSL, never
// the input text; "" stays "". Input that does not parse stays as it is:
// validation reports it at its path.
std::string GuestKeyPem(const std::string& pem);

}  // namespace pgha::resources
