# A CA, and a server certificate it signs.
resource "pgha_certificate" "ca" {
  common_name  = "cluster CA"
  is_ca        = true
  allowed_uses = ["cert_signing", "crl_signing"]
}

resource "pgha_certificate" "postgres_1" {
  common_name        = "postgres-1"
  dns_names          = ["postgres-1.db.internal"]
  ip_addresses       = ["10.10.0.21"]
  allowed_uses       = ["digital_signature", "key_encipherment", "server_auth", "client_auth"]
  ca_cert_pem        = pgha_certificate.ca.cert_pem
  ca_private_key_pem = pgha_certificate.ca.private_key_pem
}

# Or sign with a CA from the hashicorp/tls provider (PKCS#1, PKCS#8 and SEC1 keys all work):
#   ca_cert_pem        = tls_self_signed_cert.ca.cert_pem
#   ca_private_key_pem = tls_private_key.ca.private_key_pem
