resource "pgha_etcd_member" "etcd_1" {
  name                   = "etcd-1"
  volume_id              = libvirt_volume.etcd_1.id
  cloud_init_volume_pool = "default"
  ssh_admin_public_key   = tls_private_key.admin.public_key_openssh

  network_interface {
    network_name  = "cluster"
    ip            = "10.10.0.11"
    prefix_length = 24
    gateway       = "10.10.0.1"
    dns_servers   = ["10.10.0.1"]
  }

  cluster {
    is_initializing = true
    initial_token   = "pgha"
    initial_members = [
      { name = "etcd-1", ip = "10.10.0.11" },
      { name = "etcd-2", ip = "10.10.0.12" },
      { name = "etcd-3", ip = "10.10.0.13" },
    ]
  }

  authentication_bootstrap {
    bootstrap = true # on exactly one member
  }

  tls {
    ca_cert     = pgha_certificate.ca.cert_pem
    server_cert = pgha_certificate.etcd_1.chain_pem
    server_key  = pgha_certificate.etcd_1.private_key_pem
    # Every member's certificate has this CN; the peer port admits no other.
    peer_allowed_cn = "etcd-member"
  }
}
