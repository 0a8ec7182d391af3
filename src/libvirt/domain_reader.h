// Reads a domain's XML (as libvirt reports it) back into a DomainSpec: the
// inverse of RenderDomainXml for what pgha sets, used to import a VM by name.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "libvirt/domain_spec.h"

namespace pgha::libvirt {

absl::StatusOr<DomainSpec> ParseDomainXml(const std::string& xml);

}  // namespace pgha::libvirt
