data "pgha_haproxy_lb_cloud_init" "lb" {
  name = "lb-1"
  network_interface {
    ip            = "10.0.0.30"
    prefix_length = 24
  }
  haproxy {
    postgres_domain         = "postgres.internal" # resolves to every node
    postgres_nameserver_ips = ["10.0.0.2"]
    patroni_ca_cert         = pgha_certificate.ca.cert_pem
    patroni_client_cert     = pgha_certificate.haproxy_client.cert_pem
    patroni_client_key      = pgha_certificate.haproxy_client.private_key_pem
  }
}
