// pgha_haproxy_lb and pgha_haproxy_lb_cloud_init: the HAProxy role, read
// from the blocks of schemas/fragments/haproxy_role.json.
#pragma once

#include <memory>

#include "resources/role.h"

namespace pgha::resources {

std::shared_ptr<const Role> HaproxyRole();

}  // namespace pgha::resources
