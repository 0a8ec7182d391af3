# One etcd member VM on libvirt, with its certificates from pgha_certificate.
# The acceptance tests apply it against the machine's libvirtd under emulation
# (domain_type = "qemu"); see README.md for the variables.
terraform {
  required_providers {
    pgha = { source = "registry.terraform.io/pgha/pgha" }
  }
}

variable "os_volume_id" {
  description = "The OS disk: a libvirt volume id (its path for dir pools)."
  type        = string
}

variable "pool" {
  description = "Pool for the cloud-init volume."
  type        = string
}

variable "network" {
  description = "An existing libvirt network whose subnet holds 10.213.0.0/24."
  type        = string
}

variable "data_volume_id" {
  description = "An optional data disk: a libvirt volume id."
  type        = string
  default     = null
}

variable "data_volume_format" {
  description = "The data disk's declared format."
  type        = string
  default     = "qcow2"
}

variable "memory" {
  description = "MiB of memory; a change restarts the VM with the new size (in place)."
  type        = number
  default     = 256
}

variable "running" {
  type    = bool
  default = true
}

variable "shutdown_timeout" {
  description = "Seconds to wait for a clean guest shutdown before forcing it."
  type        = number
  default     = 60
}

variable "space_quota" {
  description = "etcd's backend quota in bytes: changing it re-renders cloud-init in place."
  type        = number
  default     = 8589934592
}

variable "wait_for_healthy" {
  description = "Return from create and update only once etcd is healthy (read through the guest agent)."
  type        = bool
  default     = true
}

variable "create_timeout" {
  description = "How long a create may take, the wait for health included."
  type        = string
  default     = "30m"
}

variable "apply_cloud_init_changes" {
  description = "live (the provider's default when null), next_boot or reboot."
  type        = string
  default     = null
}

variable "libvirt_uri" {
  description = "The hypervisor: the provider's uri (null: LIBVIRT_DEFAULT_URI, else qemu:///system)."
  type        = string
  default     = null
}

provider "pgha" {
  uri = var.libvirt_uri
}

resource "pgha_certificate" "ca" {
  common_name  = "etcd CA"
  is_ca        = true
  allowed_uses = ["cert_signing", "crl_signing"]
}

resource "pgha_certificate" "etcd_1" {
  # Every member's certificate carries this CN; the peer port admits no other.
  common_name        = "etcd-member"
  ip_addresses       = ["10.213.0.11", "127.0.0.1"]
  allowed_uses       = ["digital_signature", "key_encipherment", "server_auth", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

resource "pgha_etcd_member" "etcd_1" {
  name                   = "pgha-example-etcd-1"
  domain_type            = "qemu"
  vcpus                  = 1
  memory                 = var.memory
  volume_id              = var.os_volume_id
  data_volume_id         = var.data_volume_id
  data_volume_format     = var.data_volume_format
  cloud_init_volume_pool = var.pool
  running                = var.running
  shutdown_timeout       = var.shutdown_timeout
  wait_for_healthy       = var.wait_for_healthy

  apply_cloud_init_changes = var.apply_cloud_init_changes

  timeouts {
    create = var.create_timeout
  }

  network_interface {
    network_name  = var.network
    ip            = "10.213.0.11"
    prefix_length = 24
  }

  etcd {
    space_quota = var.space_quota
  }

  cluster {
    is_initializing = true
    initial_token   = "pgha-example"
    initial_members = [{ name = "pgha-example-etcd-1", ip = "10.213.0.11" }]
  }

  authentication_bootstrap {
    bootstrap = true
  }

  tls {
    ca_cert     = pgha_certificate.ca.cert_pem
    server_cert = pgha_certificate.etcd_1.chain_pem
    server_key  = pgha_certificate.etcd_1.private_key_pem
    peer_allowed_cn = "etcd-member"
  }
}

output "user_data" {
  value     = pgha_etcd_member.etcd_1.user_data
  sensitive = true
}
