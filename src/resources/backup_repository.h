// pgha_backup_repository and pgha_backup_repository_cloud_init: the
// pgBackRest repository role, read from the blocks of
// schemas/fragments/backup_repository_role.json.
#pragma once

#include <memory>

#include "resources/role.h"

namespace pgha::resources {

std::shared_ptr<const Role> BackupRepositoryRole();

}  // namespace pgha::resources
