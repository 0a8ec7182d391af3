variable "name_prefix" {
  description = "Prefix of every VM's name, so several copies can share a hypervisor."
  type        = string
  default     = "pgha-"
}

variable "subnet_prefix" {
  description = "First three octets of the /24 the VMs live in."
  type        = string
  default     = "10.214.0"
}

variable "etcd_count" {
  description = "etcd members: 3 tolerates losing one; 1 is the smallest cluster (the VM test's)."
  type        = number
  default     = 3
}

variable "postgres_count" {
  description = "PostgreSQL nodes. With strict synchronous replication, 3 keep taking writes after losing one."
  type        = number
  default     = 3
}

variable "os_volume_ids" {
  description = "OS disk per VM name (libvirt volume ids, e.g. from libvirt_volume resources)."
  type        = map(string)
}

variable "pool" {
  description = "Storage pool for the cloud-init volumes."
  type        = string
}

variable "network" {
  description = "The libvirt network the VMs join (unless macvtap_interface is set)."
  type        = string
  default     = ""
}

variable "node_exporter" {
  description = "Run Prometheus' node exporter on every VM (on its advertised address, port 9100)."
  type        = bool
  default     = true
}

variable "member_uris" {
  description = "Per VM name, the libvirt URI of the hypervisor it runs on; the others use the provider's (LIBVIRT_DEFAULT_URI, else qemu:///system). Each hypervisor needs the pool, the network and the VM's OS volume."
  type        = map(string)
  default     = {}
}

variable "network_id" {
  description = "The libvirt network's UUID instead of its name, e.g. libvirt_network.cluster.id."
  type        = string
  default     = ""
}

variable "macvtap_interface" {
  description = "A host interface to attach the VMs to with macvtap instead of a libvirt network."
  type        = string
  default     = ""
}

variable "domain_type" {
  description = "kvm where hardware virtualisation works, qemu (emulation) elsewhere."
  type        = string
  default     = "kvm"
}

variable "vcpus" {
  type    = number
  default = 2
}

variable "memory" {
  description = "MiB per VM."
  type        = number
  default     = 2048
}

variable "install_dependencies" {
  description = "Let cloud-init install the services from Debian; false for an image that has them."
  type        = bool
  default     = true
}

variable "kernel" {
  description = "Direct kernel boot: kernel path on the libvirt host (an image without a bootloader)."
  type        = string
  default     = null
}

variable "initrd" {
  type    = string
  default = null
}

variable "cmdline" {
  type    = string
  default = null
}

variable "console_log_dir" {
  description = "Directory on the libvirt host for each VM's serial console log (<name>.log)."
  type        = string
  default     = null
}

variable "ntp_servers" {
  description = "NTP servers for chrony on every VM; empty leaves the image's time setup alone."
  type        = list(string)
  default     = []
}

variable "running" {
  type    = bool
  default = true
}

variable "postgres_memory" {
  description = "Memory (MiB) of the PostgreSQL nodes, if not `memory`. Changing it restarts them one at a time, the leader last after a switchover."
  type        = number
  default     = null
}

variable "postgres_params" {
  description = "PostgreSQL parameters of every node. A change is applied live through Patroni; one that needs a restart restarts the replicas first and the leader last, after a switchover."
  type        = map(string)
  default     = { max_connections = "100", wal_keep_size = "256MB" }
}

variable "stopped_postgres_nodes" {
  description = "PostgreSQL nodes to keep shut down (`running = false`); a leader hands over before it stops."
  type        = list(string)
  default     = []
}

variable "wait_for_healthy" {
  description = "terraform apply returns once every member is healthy: etcd voting, Patroni leading or streaming, the load balancer routing to the leader. false: once the VMs are started (e.g. disks without an OS)."
  type        = bool
  default     = true
}

variable "create_timeout" {
  description = "How long each VM's create may take, its wait for health included (emulated VMs booting together on a busy host need many minutes)."
  type        = string
  default     = "30m"
}

variable "shutdown_timeout" {
  type    = number
  default = 60
}

variable "ssh_admin_public_key" {
  type    = string
  default = null
}

variable "etcd_root_password" {
  description = "Password of etcd's root user, created by the first member. pgha logs in with it to add, replace and remove members later; a certificate alone never acts as root."
  type        = string
  sensitive   = true
}

variable "etcd_initializing" {
  description = "true while this apply creates the etcd cluster. Set it to false once the cluster runs: members added or replaced later then join the running cluster (pgha adds each as a learner with the member list etcd returns, then promotes it). The members that exist keep what they were created with."
  type        = bool
  default     = true
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

variable "admin_addresses" {
  description = "Addresses that administer PostgreSQL as the superuser, besides the nodes themselves (pg_hba admits the superuser and replication from nowhere else). Unset: the host's address on the network, <subnet_prefix>.1."
  type        = list(string)
  default     = null
}

variable "backup_repository" {
  description = "Adds a pgBackRest repository VM (<prefix>backup-1, address .40): the nodes archive their WAL to it under the stanza \"main\", it takes scheduled backups, and the output backups lists them (pgha_backup_info)."
  type        = bool
  default     = false
}
