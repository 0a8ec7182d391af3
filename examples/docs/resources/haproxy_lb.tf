resource "pgha_haproxy_lb" "lb" {
  name                   = "lb-1"
  volume_id              = libvirt_volume.lb_1.id
  cloud_init_volume_pool = "default"

  network_interface {
    network_name  = "pgha"
    ip            = "10.214.0.30"
    prefix_length = 24
  }

  haproxy {
    postgres_nodes = [
      { name = "postgres-1", ip = "10.214.0.21" },
      { name = "postgres-2", ip = "10.214.0.22" },
      { name = "postgres-3", ip = "10.214.0.23" },
    ]
    patroni_ca_cert     = pgha_certificate.ca.cert_pem
    patroni_client_cert = pgha_certificate.haproxy_client.cert_pem
    patroni_client_key  = pgha_certificate.haproxy_client.private_key_pem
  }
}
