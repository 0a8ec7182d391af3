// The metrics_tls fragment (schemas/fragments/metrics_tls.json) as the roles
// take it, and its plan-time check: shared by the load balancer's Prometheus
// endpoint and the PostgreSQL nodes' exporter.
#pragma once

#include <optional>
#include <string>

#include "roles/metrics_tls.h"
#include "schema/reader.h"
#include "value/diagnostics.h"
#include "value/path.h"
#include "value/value.h"

namespace pgha::resources {

// Unset block: none (plain HTTP).
std::optional<roles::MetricsTls> MetricsTlsOf(const schema::Reader& block);

// Warns when the (known) certificate of the block at `path` has no IP SAN for the address scrapers
// reach: a scraper that verifies it would refuse the endpoint.
void WarnUnlessMetricsTlsCovers(const value::Value& block, const std::string& ip, const value::Path& path,
                                value::Diagnostics& diags);

}  // namespace pgha::resources
