terraform {
  required_providers {
    pgha = {
      source = "registry.terraform.io/pgha/pgha"
    }
  }
}

provider "pgha" {}
