# A private CA and the certificates a pgha cluster uses: one per etcd member,
# PostgreSQL node and load balancer, plus a client certificate for Patroni's
# REST API. Apply it with the locally built provider (see README.md).
terraform {
  required_providers {
    pgha = {
      source = "registry.terraform.io/pgha/pgha"
    }
  }
}

provider "pgha" {}

resource "pgha_certificate" "ca" {
  common_name           = "pgha example CA"
  organization          = "pgha"
  is_ca                 = true
  key_algorithm         = "ECDSA_P384"
  allowed_uses          = ["cert_signing", "crl_signing", "digital_signature"]
  validity_period_hours = 87600
  early_renewal_hours   = 720
}

locals {
  servers = {
    "etcd-1"     = "10.10.0.11"
    "etcd-2"     = "10.10.0.12"
    "etcd-3"     = "10.10.0.13"
    "postgres-1" = "10.10.0.21"
    "postgres-2" = "10.10.0.22"
    "postgres-3" = "10.10.0.23"
    "lb-1"       = "10.10.0.30"
  }
}

resource "pgha_certificate" "server" {
  for_each = local.servers

  common_name        = each.key
  dns_names          = [each.key, "${each.key}.pgha.internal"]
  ip_addresses       = [each.value, "127.0.0.1"]
  allowed_uses       = ["digital_signature", "key_encipherment", "server_auth", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

resource "pgha_certificate" "patroni_client" {
  common_name        = "patroni-client"
  allowed_uses       = ["digital_signature", "client_auth"]
  key_algorithm      = "ED25519"
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

output "ca_cert_pem" {
  value = pgha_certificate.ca.cert_pem
}

output "server_serials" {
  value = { for name, cert in pgha_certificate.server : name => cert.serial }
}
