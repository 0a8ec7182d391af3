resource "pgha_backup_repository" "backups" {
  name                   = "backup-1"
  volume_id              = libvirt_volume.backup_1.id
  data_volume_id         = libvirt_volume.backup_1_data.id # the repository lives here
  cloud_init_volume_pool = "default"

  network_interface {
    network_name  = "pgha"
    ip            = "10.214.0.40"
    prefix_length = 24
  }

  repository {
    ca_cert           = pgha_certificate.ca.cert_pem
    server_cert       = pgha_certificate.backup_1.chain_pem # DNS SAN "backup-1", server_auth + client_auth
    server_key        = pgha_certificate.backup_1.private_key_pem
    cipher_passphrase = var.backup_passphrase

    stanza {
      name           = "main"
      postgres_nodes = [for name, ip in local.postgres : { name = name, ip = ip }]
      client_cns     = keys(local.postgres) # the CNs of the nodes' postgres.server_cert
      retention_full = 4
      full_schedule  = "Sun *-*-* 01:00:00"
      diff_schedule  = "Mon..Sat *-*-* 01:00:00"
    }
  }
}

# On every node of the cluster:
#   backup {
#     repository_name    = "backup-1"
#     repository_address = "10.214.0.40"
#     repository_cn      = "backup-1"   # the CN of pgha_certificate.backup_1
#     stanza             = "main"
#   }
