#include "resources/metrics_tls.h"

#include "resources/cert_checks.h"

namespace pgha::resources {

std::optional<roles::MetricsTls> MetricsTlsOf(const schema::Reader& block) {
  if (!block.present()) return std::nullopt;
  return roles::MetricsTls{block.String("cert"), GuestKeyPem(block.String("key")), block.String("client_ca_cert")};
}

void WarnUnlessMetricsTlsCovers(const value::Value& block, const std::string& ip, const value::Path& path,
                                value::Diagnostics& diags) {
  if (!block.IsKnown() || block.IsNull() || ip.empty()) return;
  WarnUnlessCoversIp(block.GetAttr("cert"), ip, "scrapers that verify the metrics endpoint", path.Attr("cert"),
                     diags);
}

}  // namespace pgha::resources
