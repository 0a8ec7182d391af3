# The openstack-etcd-server module's use: pgha renders, another provider runs the VM.
data "pgha_etcd_member_cloud_init" "etcd1" {
  name = "etcd-1"
  network_interface {
    ip            = "10.0.0.11"
    prefix_length = 24
    mac           = openstack_networking_port_v2.etcd1.mac_address
  }
  cluster {
    is_initializing = true
    initial_token   = "etcd"
    initial_members = [{ name = "etcd-1", ip = "10.0.0.11" }]
  }
  tls {
    ca_cert     = pgha_certificate.ca.cert_pem
    server_cert = pgha_certificate.etcd1.chain_pem
    server_key  = pgha_certificate.etcd1.private_key_pem
    peer_allowed_cn = "etcd-member"
  }
}

resource "openstack_compute_instance_v2" "etcd1" {
  name      = "etcd-1"
  user_data = data.pgha_etcd_member_cloud_init.etcd1.user_data
  # ...
}
