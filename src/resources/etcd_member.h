// pgha_etcd_member and pgha_etcd_member_cloud_init: the etcd role, read from
// the blocks of schemas/fragments/etcd_role.json.
#pragma once

#include <memory>

#include "resources/role.h"

namespace pgha::resources {

std::shared_ptr<const Role> EtcdRole();

}  // namespace pgha::resources
