# The example cluster: 3 etcd members, 3 PostgreSQL nodes under Patroni and
# one HAProxy load balancer, as libvirt VMs, with every certificate issued by
# pgha_certificate. It mirrors the modules' examples (see
# docs/migrating-from-modules.md) in one provider.
#
# `scripts/up cluster` creates the network, the OS volumes and the passwords,
# then applies this. Set `macvtap_interface` to attach the VMs to a host
# interface instead of a libvirt network.
terraform {
  required_providers {
    pgha = { source = "registry.terraform.io/pgha/pgha" }
  }
}

provider "pgha" {}

locals {
  prefix   = var.name_prefix
  etcd     = { for i in range(1, var.etcd_count + 1) : "${local.prefix}etcd-${i}" => "${var.subnet_prefix}.${10 + i}" }
  postgres = { for i in range(1, var.postgres_count + 1) : "${local.prefix}postgres-${i}" => "${var.subnet_prefix}.${20 + i}" }
  lb_name  = "${local.prefix}lb-1"
  lb_ip    = "${var.subnet_prefix}.30"
  # The backup repository, when asked for (var.backup_repository).
  repository = var.backup_repository ? { "${local.prefix}backup-1" = "${var.subnet_prefix}.40" } : {}
  admins   = var.admin_addresses != null ? var.admin_addresses : ["${var.subnet_prefix}.1"]
  # The member that creates etcd's users and turns authentication on, while the cluster is new.
  etcd_bootstrapper = var.etcd_initializing ? "${local.prefix}etcd-1" : ""

  # One interface per VM: on the libvirt network, or macvtap on a host interface.
  use_macvtap = var.macvtap_interface != ""
}

# --- certificates ---------------------------------------------------------

resource "pgha_certificate" "ca" {
  common_name           = "pgha example CA"
  organization          = "pgha"
  is_ca                 = true
  key_algorithm         = "ECDSA_P384"
  allowed_uses          = ["cert_signing", "crl_signing", "digital_signature"]
  validity_period_hours = 87600
}

resource "pgha_certificate" "etcd" {
  for_each = local.etcd

  # The members share one CN: their peer port admits only certificates that
  # carry it (tls.peer_allowed_cn), so no other certificate from this CA can speak Raft.
  common_name        = "etcd-member"
  ip_addresses       = [each.value, "127.0.0.1"]
  allowed_uses       = ["digital_signature", "key_encipherment", "server_auth", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

# Patroni's etcd client certificate has no CN: etcd 3.4's gateway refuses one
# when authentication is on; Patroni's identity is its etcd user.
resource "pgha_certificate" "patroni_etcd_client" {
  organization       = "pgha"
  allowed_uses       = ["digital_signature", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

# PostgreSQL and Patroni's REST API: the node's name for HAProxy's verifyhost,
# its address, the load balancer's address (clients verify the server
# through it) and localhost.
resource "pgha_certificate" "postgres" {
  for_each = local.postgres

  common_name        = each.key
  dns_names          = [each.key, "localhost"]
  ip_addresses       = [each.value, local.lb_ip, "127.0.0.1"]
  allowed_uses       = ["digital_signature", "key_encipherment", "server_auth", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

# The repository's identity both ways: the nodes verify its name, and it backs them up as a client.
resource "pgha_certificate" "repository" {
  for_each = local.repository

  common_name        = "backup-repository"
  dns_names          = [each.key]
  ip_addresses       = [each.value]
  allowed_uses       = ["digital_signature", "key_encipherment", "server_auth", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

resource "pgha_certificate" "haproxy_client" {
  common_name        = "haproxy"
  allowed_uses       = ["digital_signature", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

# --- etcd -----------------------------------------------------------------

resource "pgha_etcd_member" "etcd" {
  for_each = local.etcd

  name                   = each.key
  uri                    = lookup(var.member_uris, each.key, null)
  domain_type            = var.domain_type
  vcpus                  = var.vcpus
  memory                 = var.memory
  volume_id              = var.os_volume_ids[each.key]
  cloud_init_volume_pool = var.pool
  ssh_admin_public_key   = var.ssh_admin_public_key
  install_dependencies   = var.install_dependencies
  running                = var.running
  shutdown_timeout       = var.shutdown_timeout
  wait_for_healthy       = var.wait_for_healthy

  timeouts {
    create = var.create_timeout
  }
  kernel                 = var.kernel
  initrd                 = var.initrd
  cmdline                = var.cmdline
  console_log            = var.console_log_dir == null ? null : "${var.console_log_dir}/${each.key}.log"

  node_exporter {
    enabled = var.node_exporter
  }

  chrony {
    enabled  = length(var.ntp_servers) > 0
    servers  = [for server in var.ntp_servers : { url = server, options = ["iburst"] }]
    makestep = { threshold = 1, limit = 3 } # step a wrong boot-time clock, then slew
  }

  dynamic "network_interface" {
    for_each = local.use_macvtap ? [] : [each.value]
    content {
      network_name  = var.network_id == "" ? var.network : null
      network_id    = var.network_id == "" ? null : var.network_id
      ip            = network_interface.value
      prefix_length = 24
    }
  }
  dynamic "macvtap_interface" {
    for_each = local.use_macvtap ? [each.value] : []
    content {
      interface     = var.macvtap_interface
      ip            = macvtap_interface.value
      prefix_length = 24
    }
  }

  etcd {
    grpc_gateway_enabled = true # Patroni 3.0 speaks the v3 JSON gateway
    client_cert_auth     = true
    # Emulated members answer slowly: etcd's defaults (100 ms, 1 s) call elections for nothing there.
    heartbeat_interval = var.domain_type == "qemu" ? 500 : 100
    election_timeout   = var.domain_type == "qemu" ? 5000 : 1000
  }

  cluster {
    is_initializing = var.etcd_initializing
    initial_token   = "${local.prefix}pgha"
    initial_members = [for name, ip in local.etcd : { name = name, ip = ip }]
  }

  # The first member turns authentication on, after creating root and Patroni's user. Every
  # member carries root's password: membership changes (a member added, replaced or removed) log in with it.
  authentication_bootstrap {
    bootstrap     = each.key == local.etcd_bootstrapper
    root_password = var.etcd_root_password
    users = each.key != local.etcd_bootstrapper ? [] : [{
      name       = "patroni"
      password   = var.etcd_patroni_password
      key_prefix = "/service/"
    }]
  }

  tls {
    ca_cert     = pgha_certificate.ca.cert_pem
    server_cert = pgha_certificate.etcd[each.key].chain_pem
    server_key  = pgha_certificate.etcd[each.key].private_key_pem
    peer_allowed_cn = "etcd-member"
  }

  # With the backup repository: hourly etcd snapshots into it (the leader's run stores one).
  dynamic "snapshots" {
    for_each = local.repository
    content {
      repository_name    = snapshots.key
      repository_address = snapshots.value
      cluster            = "etcd"
      root_cert          = pgha_certificate.etcd_root[0].cert_pem
      root_key           = pgha_certificate.etcd_root[0].private_key_pem
    }
  }
}

# etcd's root by certificate (client_cert_auth: the CN is the user): etcd 3.4 lets only root take
# snapshots. Only the members hold it.
resource "pgha_certificate" "etcd_root" {
  count = var.backup_repository ? 1 : 0

  common_name        = "root"
  allowed_uses       = ["digital_signature", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

# --- PostgreSQL -----------------------------------------------------------

resource "pgha_postgres_node" "postgres" {
  for_each = local.postgres

  name                   = each.key
  uri                    = lookup(var.member_uris, each.key, null)
  domain_type            = var.domain_type
  vcpus                  = var.vcpus
  memory                 = coalesce(var.postgres_memory, var.memory)
  volume_id              = var.os_volume_ids[each.key]
  cloud_init_volume_pool = var.pool
  ssh_admin_public_key   = var.ssh_admin_public_key
  install_dependencies   = var.install_dependencies
  running                = var.running && !contains(var.stopped_postgres_nodes, each.key)
  shutdown_timeout       = var.shutdown_timeout
  wait_for_healthy       = var.wait_for_healthy

  timeouts {
    create = var.create_timeout
  }
  kernel                 = var.kernel
  initrd                 = var.initrd
  cmdline                = var.cmdline
  console_log            = var.console_log_dir == null ? null : "${var.console_log_dir}/${each.key}.log"

  node_exporter {
    enabled = var.node_exporter
  }

  chrony {
    enabled  = length(var.ntp_servers) > 0
    servers  = [for server in var.ntp_servers : { url = server, options = ["iburst"] }]
    makestep = { threshold = 1, limit = 3 } # step a wrong boot-time clock, then slew
  }

  dynamic "network_interface" {
    for_each = local.use_macvtap ? [] : [each.value]
    content {
      network_name  = var.network_id == "" ? var.network : null
      network_id    = var.network_id == "" ? null : var.network_id
      ip            = network_interface.value
      prefix_length = 24
    }
  }
  dynamic "macvtap_interface" {
    for_each = local.use_macvtap ? [each.value] : []
    content {
      interface     = var.macvtap_interface
      ip            = macvtap_interface.value
      prefix_length = 24
    }
  }

  postgres {
    params              = var.postgres_params
    superuser_password  = var.postgres_superuser_password
    replicator_password = var.postgres_replicator_password
    rewind_password     = var.postgres_rewind_password
    ca_cert             = pgha_certificate.ca.cert_pem
    server_cert         = pgha_certificate.postgres[each.key].chain_pem
    server_key          = pgha_certificate.postgres[each.key].private_key_pem
    # The superuser and replication log in from the nodes and the admin hosts only;
    # applications get their own users (created by an admin) and come through the LB.
    member_addresses = concat(values(local.postgres), local.admins)
  }

  etcd {
    endpoints   = [for ip in values(local.etcd) : "${ip}:2379"]
    ca_cert     = pgha_certificate.ca.cert_pem
    username    = "patroni"
    password    = var.etcd_patroni_password
    client_cert = pgha_certificate.patroni_etcd_client.cert_pem
    client_key  = pgha_certificate.patroni_etcd_client.private_key_pem
  }

  # WAL archiving to the repository, when there is one; a rebuilt replica restores from it.
  dynamic "backup" {
    for_each = local.repository
    content {
      repository_name    = backup.key
      repository_address = backup.value
      repository_cn      = "backup-repository"
      stanza             = "main"
    }
  }

  patroni {
    scope        = "${local.prefix}pgha"
    cluster_size = length(local.postgres)
    # Emulated guests on a busy host can stall for seconds: pgha's defaults (15/3/6, for a fast
    # failover) would cost the leader its key there with nothing wrong. Patroni's own 30/10/10 under qemu.
    ttl           = var.domain_type == "qemu" ? 30 : null
    loop_wait     = var.domain_type == "qemu" ? 10 : null
    retry_timeout = var.domain_type == "qemu" ? 10 : null
  }

  depends_on = [pgha_etcd_member.etcd]
}

# --- load balancer --------------------------------------------------------

resource "pgha_haproxy_lb" "lb" {
  name                   = local.lb_name
  uri                    = lookup(var.member_uris, local.lb_name, null)
  domain_type            = var.domain_type
  vcpus                  = var.vcpus
  memory                 = var.memory
  volume_id              = var.os_volume_ids[local.lb_name]
  cloud_init_volume_pool = var.pool
  ssh_admin_public_key   = var.ssh_admin_public_key
  install_dependencies   = var.install_dependencies
  running                = var.running
  shutdown_timeout       = var.shutdown_timeout
  wait_for_healthy       = var.wait_for_healthy

  timeouts {
    create = var.create_timeout
  }
  kernel                 = var.kernel
  initrd                 = var.initrd
  cmdline                = var.cmdline
  console_log            = var.console_log_dir == null ? null : "${var.console_log_dir}/${local.lb_name}.log"

  node_exporter {
    enabled = var.node_exporter
  }

  chrony {
    enabled  = length(var.ntp_servers) > 0
    servers  = [for server in var.ntp_servers : { url = server, options = ["iburst"] }]
    makestep = { threshold = 1, limit = 3 } # step a wrong boot-time clock, then slew
  }

  dynamic "network_interface" {
    for_each = local.use_macvtap ? [] : [local.lb_ip]
    content {
      network_name  = var.network_id == "" ? var.network : null
      network_id    = var.network_id == "" ? null : var.network_id
      ip            = network_interface.value
      prefix_length = 24
    }
  }
  dynamic "macvtap_interface" {
    for_each = local.use_macvtap ? [local.lb_ip] : []
    content {
      interface     = var.macvtap_interface
      ip            = macvtap_interface.value
      prefix_length = 24
    }
  }

  haproxy {
    postgres_nodes      = [for name, ip in local.postgres : { name = name, ip = ip }]
    patroni_ca_cert     = pgha_certificate.ca.cert_pem
    patroni_client_cert = pgha_certificate.haproxy_client.cert_pem
    patroni_client_key  = pgha_certificate.haproxy_client.private_key_pem
    # Reads: 5433 balances over the replicas at most 1 MiB behind, 5434 is the synchronous standby.
    replica_port      = 5433
    sync_standby_port = 5434
    # HAProxy's Prometheus endpoint: http://<lb address>:8405/metrics
    metrics_port = 8405
  }
}

# --- backups --------------------------------------------------------------

resource "pgha_backup_repository" "backups" {
  for_each = local.repository

  name                   = each.key
  uri                    = lookup(var.member_uris, each.key, null)
  domain_type            = var.domain_type
  vcpus                  = var.vcpus
  memory                 = var.memory
  volume_id              = var.os_volume_ids[each.key]
  cloud_init_volume_pool = var.pool
  ssh_admin_public_key   = var.ssh_admin_public_key
  install_dependencies   = var.install_dependencies
  running                = var.running
  shutdown_timeout       = var.shutdown_timeout
  wait_for_healthy       = var.wait_for_healthy

  timeouts {
    create = var.create_timeout
  }
  kernel      = var.kernel
  initrd      = var.initrd
  cmdline     = var.cmdline
  console_log = var.console_log_dir == null ? null : "${var.console_log_dir}/${each.key}.log"

  node_exporter {
    enabled = var.node_exporter
  }

  chrony {
    enabled  = length(var.ntp_servers) > 0
    servers  = [for server in var.ntp_servers : { url = server, options = ["iburst"] }]
    makestep = { threshold = 1, limit = 3 }
  }

  dynamic "network_interface" {
    for_each = local.use_macvtap ? [] : [each.value]
    content {
      network_name  = var.network_id == "" ? var.network : null
      network_id    = var.network_id == "" ? null : var.network_id
      ip            = network_interface.value
      prefix_length = 24
    }
  }
  dynamic "macvtap_interface" {
    for_each = local.use_macvtap ? [each.value] : []
    content {
      interface     = var.macvtap_interface
      ip            = macvtap_interface.value
      prefix_length = 24
    }
  }

  repository {
    ca_cert     = pgha_certificate.ca.cert_pem
    server_cert = pgha_certificate.repository[each.key].chain_pem
    server_key  = pgha_certificate.repository[each.key].private_key_pem
    stanza {
      name           = "main"
      postgres_nodes = [for name, ip in local.postgres : { name = name, ip = ip }]
      client_cns     = keys(local.postgres)
    }
    # The etcd members' snapshots, uploaded with their certificates (CN etcd-member).
    etcd_cluster {
      name       = "etcd"
      client_cns = ["etcd-member"]
    }
  }
}

# What the repository can restore, read on its VM at every plan.
data "pgha_backup_info" "main" {
  for_each = pgha_backup_repository.backups

  repository = each.value.name
  stanza     = "main"
  # Read once the nodes are healthy: their health wait passes pgBackRest's check, so the stanza exists.
  depends_on = [pgha_postgres_node.postgres]
}
