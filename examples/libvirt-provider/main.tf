# The example cluster composed the way the modules were used: the
# dmacvicar/libvirt provider makes the network and the OS disks (copy-on-write
# overlays of one base image), and pgha makes the VMs, their cloud-init and
# their certificates (examples/cluster, used here as a module). Terraform
# orders the destroy: pgha's VMs go before the disks and the network they use.
terraform {
  required_providers {
    pgha    = { source = "registry.terraform.io/pgha/pgha" }
    libvirt = { source = "registry.terraform.io/dmacvicar/libvirt", version = "0.8.3" }
  }
}

provider "libvirt" {
  uri = var.libvirt_uri
}

locals {
  members = concat(
    [for i in range(1, var.etcd_count + 1) : "${var.name_prefix}etcd-${i}"],
    [for i in range(1, var.postgres_count + 1) : "${var.name_prefix}postgres-${i}"],
    ["${var.name_prefix}lb-1"],
  )
}

# An isolated network: the VMs reach each other and the host, nothing else.
resource "libvirt_network" "cluster" {
  name      = "${var.name_prefix}net"
  mode      = "none"
  bridge    = var.bridge
  addresses = ["${var.subnet_prefix}.0/24"]
  autostart = true
  dhcp {
    enabled = false
  }
  dns {
    enabled = false
  }
}

# The base image, uploaded once into the pool...
resource "libvirt_volume" "base" {
  name   = "${var.name_prefix}base.qcow2"
  pool   = var.pool
  source = var.base_image
  format = "qcow2"
}

# ...and one overlay per VM: its writes stay in its own volume.
resource "libvirt_volume" "os" {
  for_each = toset(local.members)

  name           = "${each.key}-os.qcow2"
  pool           = var.pool
  base_volume_id = libvirt_volume.base.id
  size           = var.os_disk_bytes
  format         = "qcow2"
}

module "cluster" {
  source = "../cluster"

  name_prefix    = var.name_prefix
  subnet_prefix  = var.subnet_prefix
  etcd_count     = var.etcd_count
  postgres_count = var.postgres_count
  pool           = var.pool
  network_id     = libvirt_network.cluster.id
  os_volume_ids  = { for name, volume in libvirt_volume.os : name => volume.id }

  domain_type      = var.domain_type
  vcpus            = var.vcpus
  memory           = var.memory
  wait_for_healthy = var.wait_for_healthy
  shutdown_timeout = var.shutdown_timeout

  etcd_root_password           = var.etcd_root_password
  etcd_patroni_password        = var.etcd_patroni_password
  postgres_superuser_password  = var.postgres_superuser_password
  postgres_replicator_password = var.postgres_replicator_password
  postgres_rewind_password     = var.postgres_rewind_password
}
