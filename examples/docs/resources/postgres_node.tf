resource "pgha_postgres_node" "pg1" {
  name                   = "postgres-1"
  volume_id              = libvirt_volume.postgres_1.id
  cloud_init_volume_pool = "default"

  network_interface {
    network_name  = "pgha"
    ip            = "10.214.0.21"
    prefix_length = 24
  }

  postgres {
    superuser_password  = var.superuser_password
    replicator_password = var.replicator_password
    ca_cert             = pgha_certificate.ca.cert_pem
    server_cert         = pgha_certificate.postgres_1.chain_pem # SANs: its IP, the LB's IP, 127.0.0.1
    server_key          = pgha_certificate.postgres_1.private_key_pem
    # The superuser and replicas log in from the nodes (and an admin host) only.
    member_addresses = ["10.214.0.21", "10.214.0.22", "10.214.0.23", "10.214.0.1"]
  }

  etcd {
    endpoints   = ["10.214.0.11:2379", "10.214.0.12:2379", "10.214.0.13:2379"]
    ca_cert     = pgha_certificate.ca.cert_pem
    username    = "patroni"
    password    = var.etcd_patroni_password
    client_cert = pgha_certificate.patroni_etcd_client.cert_pem # no CN
    client_key  = pgha_certificate.patroni_etcd_client.private_key_pem
  }

  patroni {
    cluster_size = 3 # synchronous_node_count (1) must stay below it
  }
}
