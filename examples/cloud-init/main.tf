# The cluster's cloud-init documents without libvirt: the *_cloud_init data
# sources render what pgha_etcd_member, pgha_postgres_node and
# pgha_haproxy_lb would put on their seeds, for any compute provider's
# user_data (the openstack-etcd-server module's use). One of each role here,
# with chrony, fluent-bit and the node exporter configured.
terraform {
  required_providers {
    pgha = { source = "registry.terraform.io/pgha/pgha" }
  }
}

provider "pgha" {}

variable "password" {
  description = "One password for every account in this example."
  type        = string
  sensitive   = true
}

locals {
  etcd_ip     = "10.215.0.11"
  postgres_ip = "10.215.0.21"
  lb_ip       = "10.215.0.30"
  ntp_servers = [{ url = "10.215.0.1", options = ["iburst"] }]
  ntp_pools   = [{ url = "pool.ntp.org", options = ["iburst", "maxsources 3"] }]
}

resource "pgha_certificate" "ca" {
  common_name  = "cloud-init example CA"
  is_ca        = true
  allowed_uses = ["cert_signing", "crl_signing"]
}

resource "pgha_certificate" "node" {
  for_each = { etcd-1 = local.etcd_ip, postgres-1 = local.postgres_ip, lb-1 = local.lb_ip }

  common_name        = each.key == "etcd-1" ? "etcd-member" : each.key
  dns_names          = [each.key, "localhost"]
  ip_addresses       = [each.value, "127.0.0.1"]
  allowed_uses       = ["digital_signature", "key_encipherment", "server_auth", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

resource "pgha_certificate" "patroni_etcd_client" {
  organization       = "pgha"
  allowed_uses       = ["digital_signature", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

data "pgha_etcd_member_cloud_init" "etcd" {
  name             = "etcd-1"
  data_disk_device = "/dev/vdb"
  # The image brings fluent-bit (it is not in Debian's archive) and the other packages.
  install_dependencies = false
  network_interface {
    ip            = local.etcd_ip
    prefix_length = 24
    mac           = "fa:16:3e:00:00:11"
    gateway       = "10.215.0.1"
    dns_servers   = ["10.215.0.1"]
  }
  chrony {
    enabled  = true
    servers  = local.ntp_servers
    pools    = local.ntp_pools
    makestep = { threshold = 0.5, limit = 3 }
  }
  fluentbit {
    enabled                 = true
    buffer_total_limit_size = "1G"
    forward = {
      domain     = "logs.example.internal"
      shared_key = var.password
      ca_cert    = pgha_certificate.ca.cert_pem
    }
  }
  etcd {
    grpc_gateway_enabled = true
  }
  cluster {
    is_initializing = true
    initial_token   = "example"
    initial_members = [{ name = "etcd-1", ip = local.etcd_ip }]
  }
  authentication_bootstrap {
    bootstrap = true
    users     = [{ name = "patroni", password = var.password, key_prefix = "/service/" }]
  }
  tls {
    ca_cert     = pgha_certificate.ca.cert_pem
    server_cert = pgha_certificate.node["etcd-1"].chain_pem
    server_key  = pgha_certificate.node["etcd-1"].private_key_pem
    # etcd members share one CN; the peer port admits no other certificate.
    peer_allowed_cn = "etcd-member"
  }
}

data "pgha_postgres_node_cloud_init" "postgres" {
  name                 = "postgres-1"
  install_dependencies = false # an image with fluent-bit
  network_interface {
    ip            = local.postgres_ip
    prefix_length = 24
    mac           = "fa:16:3e:00:00:21"
  }
  chrony {
    enabled  = true
    servers  = local.ntp_servers
    pools    = local.ntp_pools
    makestep = { threshold = 0.5, limit = 3 }
  }
  fluentbit {
    enabled = true
    dynamic_config = {
      enabled         = true
      etcd_key_prefix = "/fluent-bit/postgres-1/"
      etcd_endpoints  = ["${local.etcd_ip}:2379"]
      ca_cert         = pgha_certificate.ca.cert_pem
      username        = "fluentbit"
      password        = var.password
    }
  }
  postgres {
    params              = { max_connections = "150", "log_min_duration_statement" = "1s" }
    superuser_password  = var.password
    replicator_password = var.password
    ca_cert             = pgha_certificate.ca.cert_pem
    server_cert         = pgha_certificate.node["postgres-1"].chain_pem
    server_key          = pgha_certificate.node["postgres-1"].private_key_pem
  }
  etcd {
    endpoints   = ["${local.etcd_ip}:2379"]
    ca_cert     = pgha_certificate.ca.cert_pem
    username    = "patroni"
    password    = var.password
    client_cert = pgha_certificate.patroni_etcd_client.cert_pem
    client_key  = pgha_certificate.patroni_etcd_client.private_key_pem
  }
  patroni {
    ttl                  = 30
    loop_wait            = 10
    retry_timeout        = 10
    primary_stop_timeout = 60
  }
  postgres_exporter {
    listen_address = "${local.postgres_ip}:9187"
  }
}

data "pgha_haproxy_lb_cloud_init" "lb" {
  name = "lb-1"
  network_interface {
    ip            = local.lb_ip
    prefix_length = 24
    mac           = "fa:16:3e:00:00:30"
  }
  node_exporter {
    listen_address = "${local.lb_ip}:9100"
  }
  haproxy {
    postgres_nodes      = [{ name = "postgres-1", ip = local.postgres_ip }]
    patroni_ca_cert     = pgha_certificate.ca.cert_pem
    patroni_client_cert = pgha_certificate.node["lb-1"].cert_pem
    patroni_client_key  = pgha_certificate.node["lb-1"].private_key_pem
    replica_port          = 5433
    replica_max_lag_bytes = 16777216
    sync_standby_port     = 5434
    metrics_port          = 8405
    timeouts {
      idle = "10m"
    }
  }
}

output "user_data" {
  sensitive = true
  value = {
    etcd     = data.pgha_etcd_member_cloud_init.etcd.user_data
    postgres = data.pgha_postgres_node_cloud_init.postgres.user_data
    lb       = data.pgha_haproxy_lb_cloud_init.lb.user_data
  }
}

output "network_config" {
  value = {
    etcd     = data.pgha_etcd_member_cloud_init.etcd.network_config
    postgres = data.pgha_postgres_node_cloud_init.postgres.network_config
    lb       = data.pgha_haproxy_lb_cloud_init.lb.network_config
  }
}

output "meta_data" {
  value = data.pgha_etcd_member_cloud_init.etcd.meta_data
}
