# What the "main" stanza can restore, read on the repository VM at every plan.
data "pgha_backup_info" "main" {
  repository = pgha_backup_repository.backups.name
  stanza     = "main"
}

output "main_restorable" {
  value = {
    from    = data.pgha_backup_info.main.earliest_restorable_time
    backups = [for b in data.pgha_backup_info.main.backups : "${b.label} (${b.type}, ${b.stop_time})"]
  }
}

# A new cluster from it, as it was at a moment: its nodes restore "main" and archive under
# "main-copy" (a stanza of the repository with restores_from = "main").
resource "pgha_postgres_node" "copy_1" {
  name                   = "copy-1"
  volume_id              = libvirt_volume.copy_1.id
  cloud_init_volume_pool = "default"
  # network_interface, postgres, etcd as for any node; patroni.scope = "copy"

  backup {
    repository_name    = "backup-1"
    repository_address = "10.214.0.40"
    repository_cn      = "backup-repository"
    stanza             = "main-copy"
  }

  restore {
    stanza      = "main"
    target_time = "2026-12-04T05:30:00Z" # after data.pgha_backup_info.main.earliest_restorable_time
  }
}
