data "pgha_postgres_node_cloud_init" "pg1" {
  name = "postgres-1"
  network_interface {
    ip            = "10.0.0.21"
    prefix_length = 24
  }
  postgres {
    superuser_password  = var.superuser_password
    replicator_password = var.replicator_password
    ca_cert             = pgha_certificate.ca.cert_pem
    server_cert         = pgha_certificate.pg1.chain_pem
    server_key          = pgha_certificate.pg1.private_key_pem
    member_addresses    = ["10.0.0.21", "10.0.0.22", "10.0.0.23"]
  }
  etcd {
    endpoints = ["10.0.0.11:2379"]
    ca_cert   = pgha_certificate.ca.cert_pem
    username  = "patroni"
    password  = var.etcd_patroni_password
  }
}
