# The documents of a 3 + 3 + 1 cluster, rendered by the *_cloud_init data
# sources for the services tier of the tests (test/services/), which runs
# them as real etcd, Patroni, PostgreSQL and HAProxy processes in network
# namespaces on 10.216.0.0/24.
terraform {
  required_providers {
    pgha = { source = "registry.terraform.io/pgha/pgha" }
  }
}

provider "pgha" {}

variable "password" {
  type      = string
  sensitive = true
}

# Set (RFC 3339), a second cluster, "restored", is made from the services stanza's backup at that
# moment: its nodes bootstrap through the restore block and archive under a stanza of their own.
variable "restore_target_time" {
  type    = string
  default = null
}

# Set (a snapshot's name in the repository's store), a second etcd cluster, "restored-etcd", is made
# from that snapshot of the services etcd cluster: its members restore it before etcd first starts.
variable "etcd_restore_snapshot" {
  type    = string
  default = null
}

locals {
  etcd     = { etcd-1 = "10.216.0.11", etcd-2 = "10.216.0.12", etcd-3 = "10.216.0.13" }
  etcd_restored = var.etcd_restore_snapshot == null ? {} : {
    etcd-r1 = "10.216.0.61", etcd-r2 = "10.216.0.62", etcd-r3 = "10.216.0.63"
  }
  # Members that join the running cluster later (pgha_etcd_membership, examples/etcd-membership),
  # in the order they join: each one's initial cluster is the members before it and itself.
  joining       = { etcd-4 = "10.216.0.14", etcd-5 = "10.216.0.15" }
  joining_order = ["etcd-4", "etcd-5"]
  postgres = { pg-1 = "10.216.0.21", pg-2 = "10.216.0.22", pg-3 = "10.216.0.23" }
  restored = var.restore_target_time == null ? {} : { pg-r1 = "10.216.0.51", pg-r2 = "10.216.0.52" }
  lb_ip    = "10.216.0.30"
  # The pgBackRest repository the nodes archive to and are backed up by.
  repository_ip = "10.216.0.40"
  # The test host on the bridge: it administers the cluster (creates the application user).
  admin_ip = "10.216.0.1"
}

resource "pgha_certificate" "ca" {
  common_name  = "services CA"
  is_ca        = true
  allowed_uses = ["cert_signing", "crl_signing"]
}

resource "pgha_certificate" "server" {
  for_each = merge(local.etcd, local.joining, local.postgres, local.restored, local.etcd_restored)

  # etcd members share one CN per cluster: their peer port admits only that name (tls.peer_allowed_cn).
  common_name = (contains(keys(merge(local.etcd, local.joining)), each.key) ? "etcd-member" :
  contains(keys(local.etcd_restored), each.key) ? "etcd-restored" : each.key)
  dns_names          = [each.key, "localhost"]
  ip_addresses       = [each.value, local.lb_ip, "127.0.0.1"]
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

# etcd's root, by certificate (client_cert_auth): what membership changes need.
resource "pgha_certificate" "etcd_root" {
  common_name        = "root"
  allowed_uses       = ["digital_signature", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

# The repository's identity both ways: its TLS server, and its client toward the nodes' pgBackRest
# servers (they admit this CN, for their stanza only).
resource "pgha_certificate" "repository" {
  common_name        = "backup-repository"
  dns_names          = ["backup-1"]
  ip_addresses       = [local.repository_ip]
  allowed_uses       = ["digital_signature", "key_encipherment", "server_auth", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

# The load balancer's metrics endpoint serves HTTPS with this (haproxy.metrics_tls).
resource "pgha_certificate" "lb_metrics" {
  common_name        = "lb-1"
  ip_addresses       = [local.lb_ip]
  allowed_uses       = ["digital_signature", "key_encipherment", "server_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

resource "pgha_certificate" "haproxy_client" {
  common_name        = "haproxy"
  allowed_uses       = ["digital_signature", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

data "pgha_etcd_member_cloud_init" "etcd" {
  for_each = local.etcd

  name                 = each.key
  install_dependencies = false
  node_exporter {
    enabled = false
  }
  network_interface {
    ip            = each.value
    prefix_length = 24
  }
  etcd {
    grpc_gateway_enabled = true
  }
  cluster {
    is_initializing = true
    initial_token   = "services"
    initial_members = [for name, ip in local.etcd : { name = name, ip = ip }]
  }
  authentication_bootstrap {
    bootstrap = each.key == "etcd-1"
    users     = each.key == "etcd-1" ? [{ name = "patroni", password = var.password, key_prefix = "/service/" }] : []
  }
  tls {
    ca_cert     = pgha_certificate.ca.cert_pem
    server_cert = pgha_certificate.server[each.key].chain_pem
    server_key  = pgha_certificate.server[each.key].private_key_pem
    # Only certificates named etcd-member speak Raft on the peer port.
    peer_allowed_cn = "etcd-member"
  }
  # Hourly snapshots into the repository's store (the leader's run stores one).
  snapshots {
    repository_name    = "backup-1"
    repository_address = local.repository_ip
    cluster            = "services-etcd"
    root_cert          = pgha_certificate.etcd_root.cert_pem
    root_key           = pgha_certificate.etcd_root.private_key_pem
  }
}

# A new etcd cluster made from a snapshot of the services one: users, roles and keys come from it.
data "pgha_etcd_member_cloud_init" "etcd_restored" {
  for_each = local.etcd_restored

  name                 = each.key
  install_dependencies = false
  node_exporter {
    enabled = false
  }
  network_interface {
    ip            = each.value
    prefix_length = 24
  }
  etcd {
    grpc_gateway_enabled = true
  }
  cluster {
    is_initializing = true
    initial_token   = "restored"
    initial_members = [for name, ip in local.etcd_restored : { name = name, ip = ip }]
  }
  tls {
    ca_cert         = pgha_certificate.ca.cert_pem
    server_cert     = pgha_certificate.server[each.key].chain_pem
    server_key      = pgha_certificate.server[each.key].private_key_pem
    peer_allowed_cn = "etcd-restored"
  }
  snapshots {
    repository_name    = "backup-1"
    repository_address = local.repository_ip
    cluster            = "restored-etcd"
    root_cert          = pgha_certificate.etcd_root.cert_pem
    root_key           = pgha_certificate.etcd_root.private_key_pem
    restore {
      cluster  = "services-etcd"
      snapshot = var.etcd_restore_snapshot
    }
  }
}

data "pgha_etcd_member_cloud_init" "joining" {
  for_each = local.joining

  name                 = each.key
  install_dependencies = false
  node_exporter {
    enabled = false
  }
  network_interface {
    ip            = each.value
    prefix_length = 24
  }
  etcd {
    grpc_gateway_enabled = true
  }
  cluster {
    is_initializing = false
    initial_token   = "services"
    initial_members = concat([for name, ip in local.etcd : { name = name, ip = ip }],
      [for i, name in local.joining_order : { name = name, ip = local.joining[name] } if i <= index(local.joining_order, each.key)])
  }
  tls {
    ca_cert         = pgha_certificate.ca.cert_pem
    server_cert     = pgha_certificate.server[each.key].chain_pem
    server_key      = pgha_certificate.server[each.key].private_key_pem
    peer_allowed_cn = "etcd-member"
  }
}

data "pgha_postgres_node_cloud_init" "postgres" {
  # The services cluster, and the one restored from its backup when restore_target_time is set.
  for_each = merge(local.postgres, local.restored)

  name                 = each.key
  install_dependencies = false
  node_exporter {
    enabled = false
  }
  network_interface {
    ip            = each.value
    prefix_length = 24
  }
  postgres {
    superuser_password  = var.password
    replicator_password = var.password
    rewind_password     = var.password
    ca_cert             = pgha_certificate.ca.cert_pem
    server_cert         = pgha_certificate.server[each.key].chain_pem
    server_key          = pgha_certificate.server[each.key].private_key_pem
    # Superuser, rewind and replication logins from the nodes and the admin host only;
    # applications (the tests' writer, through the load balancer) log in as their own user.
    member_addresses = concat(values(contains(keys(local.restored), each.key) ? local.restored : local.postgres), [local.admin_ip])
  }
  etcd {
    endpoints   = [for ip in values(local.etcd) : "${ip}:2379"]
    ca_cert     = pgha_certificate.ca.cert_pem
    username    = "patroni"
    password    = var.password
    client_cert = pgha_certificate.patroni_etcd_client.cert_pem
    client_key  = pgha_certificate.patroni_etcd_client.private_key_pem
  }
  backup {
    repository_name    = "backup-1"
    repository_address = local.repository_ip
    repository_cn      = "backup-repository"
    stanza             = contains(keys(local.restored), each.key) ? "restored" : "services"
    archive_timeout    = 10 # the tests restore to moments seconds apart
  }
  # PostgreSQL's metrics over HTTPS, for scrapers holding a certificate of the cluster's CA.
  postgres_exporter {
    tls {
      cert           = pgha_certificate.server[each.key].chain_pem
      key            = pgha_certificate.server[each.key].private_key_pem
      client_ca_cert = pgha_certificate.ca.cert_pem
    }
  }
  dynamic "restore" {
    for_each = contains(keys(local.restored), each.key) ? [var.restore_target_time] : []
    content {
      stanza      = "services"
      target_time = restore.value
    }
  }
  patroni {
    scope             = contains(keys(local.restored), each.key) ? "restored" : "pgha"
    cluster_size      = contains(keys(local.restored), each.key) ? 2 : 3
    watchdog          = "off" # no watchdog device in a namespace
    rest_api_username = "patroni-api"
    rest_api_password = var.password
  }
}

data "pgha_haproxy_lb_cloud_init" "lb" {
  name                 = "lb-1"
  install_dependencies = false
  node_exporter {
    enabled = false
  }
  network_interface {
    ip            = local.lb_ip
    prefix_length = 24
  }
  haproxy {
    postgres_nodes      = [for name, ip in local.postgres : { name = name, ip = ip }]
    patroni_ca_cert     = pgha_certificate.ca.cert_pem
    patroni_client_cert = pgha_certificate.haproxy_client.cert_pem
    patroni_client_key  = pgha_certificate.haproxy_client.private_key_pem
    # Read-only ports: replicas within 1 MiB of the leader, and the synchronous standby.
    replica_port      = 5433
    sync_standby_port = 5434
    metrics_port      = 8405
    metrics_tls {
      cert           = pgha_certificate.lb_metrics.chain_pem
      key            = pgha_certificate.lb_metrics.private_key_pem
      client_ca_cert = pgha_certificate.ca.cert_pem
    }
  }
}

data "pgha_backup_repository_cloud_init" "repository" {
  name                 = "backup-1"
  install_dependencies = false
  node_exporter {
    enabled = false
  }
  network_interface {
    ip            = local.repository_ip
    prefix_length = 24
  }
  repository {
    ca_cert           = pgha_certificate.ca.cert_pem
    server_cert       = pgha_certificate.repository.chain_pem
    server_key        = pgha_certificate.repository.private_key_pem
    cipher_passphrase = var.password
    stanza {
      name           = "services"
      postgres_nodes = [for name, ip in local.postgres : { name = name, ip = ip }]
      client_cns     = keys(local.postgres)
      retention_full = 2
      diff_schedule  = "*-*-* 02:00:00"
    }
    dynamic "stanza" {
      for_each = length(local.restored) > 0 ? ["restored"] : []
      content {
        name           = stanza.value
        postgres_nodes = [for name, ip in local.restored : { name = name, ip = ip }]
        client_cns     = keys(local.restored)
        restores_from  = "services"
      }
    }
    etcd_cluster {
      name       = "services-etcd"
      client_cns = ["etcd-member"]
      retention  = 3
    }
    dynamic "etcd_cluster" {
      for_each = length(local.etcd_restored) > 0 ? ["restored-etcd"] : []
      content {
        name          = etcd_cluster.value
        client_cns    = ["etcd-restored"]
        restores_from = "services-etcd"
      }
    }
  }
}

output "nodes" {
  description = "Per node: its address, role and user-data."
  sensitive   = true
  value = merge(
    { for k, d in data.pgha_etcd_member_cloud_init.etcd : k => { ip = local.etcd[k], role = "etcd", user_data = d.user_data } },
    { for k, d in data.pgha_etcd_member_cloud_init.etcd_restored : k => { ip = local.etcd_restored[k], role = "etcd", user_data = d.user_data } },
    { for k, d in data.pgha_postgres_node_cloud_init.postgres : k => { ip = merge(local.postgres, local.restored)[k], role = "postgres", user_data = d.user_data } },
    { "lb-1" = { ip = local.lb_ip, role = "haproxy", user_data = data.pgha_haproxy_lb_cloud_init.lb.user_data } },
    { "backup-1" = { ip = local.repository_ip, role = "backup_repository", user_data = data.pgha_backup_repository_cloud_init.repository.user_data } },
  )
}

output "ca_cert_pem" {
  value = pgha_certificate.ca.cert_pem
}

output "patroni_etcd_client" {
  sensitive = true
  value = {
    cert = pgha_certificate.patroni_etcd_client.cert_pem
    key  = pgha_certificate.patroni_etcd_client.private_key_pem
  }
}

output "joining_etcd" {
  description = "Members that join later: address, peer URL and user-data, in joining order."
  sensitive   = true
  value = [for name in local.joining_order : {
    name = name, ip = local.joining[name], role = "etcd", peer_url = "https://${local.joining[name]}:2380",
    user_data = data.pgha_etcd_member_cloud_init.joining[name].user_data
  }]
}

output "etcd_root" {
  sensitive = true
  value = {
    cert = pgha_certificate.etcd_root.cert_pem
    key  = pgha_certificate.etcd_root.private_key_pem
  }
}
