// Before a node of a restored cluster is created: its restore target against
// what the repository's source stanza holds, so a target no backup reaches is
// a diagnostic on the attribute, not a VM whose bootstrap fails for ever.
#pragma once

#include <ctime>
#include <string>

#include "backup/info.h"
#include "roles/pgbackrest.h"
#include "value/diagnostics.h"

namespace pgha::resources {

void CheckRestoreTarget(const backup::StanzaInfo& source, const roles::NodeRestore& restore,
                        const std::string& repository, std::time_t now, value::Diagnostics& diags);

}  // namespace pgha::resources
