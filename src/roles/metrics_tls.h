// HTTPS for a metrics endpoint a VM serves (HAProxy's Prometheus exporter,
// prometheus-postgres-exporter): its certificate and key, and optionally the
// CA whose client certificates alone may scrape it.
#pragma once

#include <string>

namespace pgha::roles {

struct MetricsTls {
  std::string cert, key;
  std::string client_ca_cert;  // empty: no client certificate asked for
};

}  // namespace pgha::roles
