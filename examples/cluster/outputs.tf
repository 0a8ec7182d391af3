output "load_balancer" {
  description = "Where clients connect: sslmode=verify-full against ca_cert_pem."
  value       = "${local.lb_ip}:5432"
}

output "ca_cert_pem" {
  value = pgha_certificate.ca.cert_pem
}

output "domains" {
  value = concat(keys(local.etcd), keys(local.postgres), [local.lb_name], keys(local.repository))
}

output "backups" {
  description = "With backup_repository: the main stanza's backups and its earliest restorable moment."
  value = { for k, info in data.pgha_backup_info.main : k => {
    status                   = info.status
    earliest_restorable_time = info.earliest_restorable_time
    backups                  = [for b in info.backups : { label = b.label, type = b.type, stop_time = b.stop_time }]
  } }
}

output "user_data" {
  description = "Rendered user-data per VM."
  sensitive   = true
  value = merge(
    { for k, v in pgha_etcd_member.etcd : k => v.user_data },
    { for k, v in pgha_postgres_node.postgres : k => v.user_data },
    { (local.lb_name) = pgha_haproxy_lb.lb.user_data },
    { for k, v in pgha_backup_repository.backups : k => v.user_data },
  )
}
