// pgha_postgres_node and pgha_postgres_node_cloud_init: the Patroni role,
// read from the blocks of schemas/fragments/postgres_role.json.
#pragma once

#include <memory>

#include "resources/role.h"

namespace pgha::resources {

std::shared_ptr<const Role> PostgresRole();

}  // namespace pgha::resources
