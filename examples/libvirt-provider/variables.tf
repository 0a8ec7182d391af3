variable "libvirt_uri" {
  description = "The hypervisor both providers use (pgha's own `uri` defaults to LIBVIRT_DEFAULT_URI, else qemu:///system)."
  type        = string
  default     = "qemu:///system"
}

variable "name_prefix" {
  type    = string
  default = "pgha-"
}

variable "subnet_prefix" {
  description = "First three octets of the network's /24; the host takes .1."
  type        = string
  default     = "10.214.0"
}

variable "bridge" {
  description = "Host bridge the network creates."
  type        = string
  default     = "pghabr0"
}

variable "etcd_count" {
  type    = number
  default = 3
}

variable "postgres_count" {
  type    = number
  default = 3
}

variable "pool" {
  description = "Storage pool for the base image, the overlays and pgha's cloud-init volumes."
  type        = string
  default     = "default"
}

variable "base_image" {
  description = "Path (on the Terraform host) or URL of the qcow2 base image, e.g. Debian 12's genericcloud image."
  type        = string
}

variable "os_disk_bytes" {
  description = "Size of each VM's disk; null keeps the base image's size."
  type        = number
  default     = null
}

variable "domain_type" {
  type    = string
  default = "kvm"
}

variable "vcpus" {
  type    = number
  default = 2
}

variable "memory" {
  type    = number
  default = 2048
}

variable "wait_for_healthy" {
  type    = bool
  default = true
}

variable "shutdown_timeout" {
  type    = number
  default = 60
}

variable "etcd_root_password" {
  type      = string
  sensitive = true
}

variable "etcd_patroni_password" {
  type      = string
  sensitive = true
}

variable "postgres_superuser_password" {
  type      = string
  sensitive = true
}

variable "postgres_replicator_password" {
  type      = string
  sensitive = true
}

variable "postgres_rewind_password" {
  type      = string
  sensitive = true
}
