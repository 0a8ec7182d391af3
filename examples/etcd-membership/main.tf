# Grows or shrinks a running etcd cluster whose VMs another tool creates:
# each entry of `members` is added as a learner and promoted once its etcd
# has caught up; an entry taken out is removed. pgha changes one member at
# a time and refuses a plan that removes half of the voters or more.
#
# A joining VM starts etcd with initial-cluster-state `existing` and an
# initial cluster of the current members and itself (pgha_etcd_member_cloud_init
# with cluster.is_initializing = false renders that). Add members one apply at
# a time, or order them with depends_on, so that each one's initial cluster
# is the membership it finds. The services tier of the tests applies this
# against real etcd (test/acceptance/test_services.py).
terraform {
  required_providers {
    pgha = { source = "registry.terraform.io/pgha/pgha" }
  }
}

provider "pgha" {}

variable "endpoints" {
  description = "Client URLs of the cluster's current members."
  type        = list(string)
}

variable "ca_cert" {
  type = string
}

variable "root_cert" {
  description = "A client certificate with common name `root`, signed by the cluster's CA."
  type        = string
}

variable "root_key" {
  type      = string
  sensitive = true
}

variable "members" {
  description = "Members that join the cluster: name => peer URL."
  type        = map(string)
  default     = {}
}

resource "pgha_etcd_membership" "member" {
  for_each = var.members

  name        = each.key
  peer_url    = each.value
  endpoints   = var.endpoints
  ca_cert     = var.ca_cert
  client_cert = var.root_cert
  client_key  = var.root_key

  timeouts {
    create = "10m"
  }
}

output "initial_cluster" {
  value = { for name, m in pgha_etcd_membership.member : name => m.initial_cluster }
}
