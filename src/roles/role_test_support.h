// What the roles' tests share: finding a rendered file among a role's pieces.
#pragma once

#include <string>

#include "roles/pieces.h"

namespace pgha::roles {

// The file at `path` among `p`'s files, or null.
inline const cloudinit::WriteFile* Find(const RolePieces& p, const std::string& path) {
  for (const auto& f : p.files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

}  // namespace pgha::roles
