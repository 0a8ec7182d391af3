# The repository's documents for a VM made by another compute provider.
data "pgha_backup_repository_cloud_init" "backups" {
  name             = "backup-1"
  data_disk_device = "/dev/vdb"

  network_interface {
    ip            = "10.214.0.40"
    prefix_length = 24
  }

  repository {
    ca_cert     = tls_self_signed_cert.ca.cert_pem
    server_cert = tls_locally_signed_cert.backup_1.cert_pem
    server_key  = tls_private_key.backup_1.private_key_pem

    stanza {
      name           = "main"
      postgres_nodes = [{ name = "pg-1", ip = "10.214.0.21" }, { name = "pg-2", ip = "10.214.0.22" }]
      client_cns     = ["pg-1", "pg-2"]
    }
  }
}

resource "openstack_compute_instance_v2" "backup_1" {
  name      = "backup-1"
  user_data = data.pgha_backup_repository_cloud_init.backups.user_data
  # ...
}
