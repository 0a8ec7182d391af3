output "load_balancer" {
  value = module.cluster.load_balancer
}

output "domains" {
  value = module.cluster.domains
}

output "network_id" {
  value = libvirt_network.cluster.id
}

output "user_data" {
  sensitive = true
  value     = module.cluster.user_data
}
