// What the roles' tests share: finding a rendered file among a role's pieces.
#pragma once

#include <string>

#include "roles/pgbackrest.h"
#include "roles/pieces.h"

namespace pgha::roles {

// The file at `path` among `p`'s files, or null.
inline const cloudinit::WriteFile* Find(const RolePieces& p, const std::string& path) {
  for (const auto& f : p.files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

// A repository with one stanza of two nodes, every required value set.
inline BackupRepository SampleRepository() {
  BackupRepository r;
  r.address = "10.0.0.40";
  r.port = 8432;
  r.ca_cert = "CA";
  r.server_cert = "CERT";
  r.server_key = "KEY";
  BackupStanza s;
  s.name = "main";
  s.postgres_nodes = {{"10.0.0.21", "pg-1"}, {"10.0.0.22", "pg-2"}};
  s.client_cns = {"pg-1", "pg-2"};
  s.retention_full = 2;
  s.full_schedule = "Sun *-*-* 01:00:00";
  s.compress_type = "lz4";
  r.stanzas = {s};
  return r;
}

}  // namespace pgha::roles
