output "load_balancer" {
  description = "Where clients connect: sslmode=verify-full against ca_cert_pem."
  value       = "${local.lb_ip}:5432"
}

output "ca_cert_pem" {
  value = pgha_certificate.ca.cert_pem
}

output "domains" {
  value = concat(keys(local.etcd), keys(local.postgres), [local.lb_name])
}

output "user_data" {
  description = "Rendered user-data per VM."
  sensitive   = true
  value = merge(
    { for k, v in pgha_etcd_member.etcd : k => v.user_data },
    { for k, v in pgha_postgres_node.postgres : k => v.user_data },
    { (local.lb_name) = pgha_haproxy_lb.lb.user_data },
  )
}
