#include "resources/certificate.h"

#include <algorithm>

#include "pki/certificate.h"
#include "pki/key.h"
#include "pki/pem.h"
#include "schema/reader.h"
#include "value/accessors.h"

namespace pgha::resources {
namespace {

using schema::Reader;
using value::Diagnostics;
using value::Path;
using value::Value;

// Inside the early-renewal window, or past expiry.
bool ReadyForRenewal(const Reader& state, std::time_t now) {
  auto end = pki::ParseRfc3339(state.String("validity_end_time"));
  if (!end.ok()) return false;
  return now >= *end - static_cast<std::time_t>(state.Int("early_renewal_hours")) * 3600;
}

}  // namespace

void Certificate::ValidateConfig(const Value& config, Diagnostics& diags) const {
  const Value& uses = config.GetAttr("allowed_uses");
  const Value& is_ca = config.GetAttr("is_ca");
  if (is_ca.IsKnown() && is_ca.AsBool() && uses.IsWhollyKnown()) {
    auto names = value::GetStrings(config, "allowed_uses");
    if (std::find(names.begin(), names.end(), "cert_signing") == names.end()) {
      diags.AddError("A CA certificate needs cert_signing",
                     "is_ca = true makes a CA, but without \"cert_signing\" in allowed_uses no verifier accepts the "
                     "certificates it signs. Add \"cert_signing\" to allowed_uses.",
                     Path::Of("allowed_uses"));
    }
  }

  const Value& validity = config.GetAttr("validity_period_hours");
  const Value& early = config.GetAttr("early_renewal_hours");
  if (validity.IsKnown() && early.IsKnown() && early.AsNumber().AsDouble() >= validity.AsNumber().AsDouble()) {
    diags.AddError("Early renewal window covers the whole validity period",
                   "early_renewal_hours must be less than validity_period_hours, or every plan would replace the "
                   "certificate.",
                   Path::Of("early_renewal_hours"));
  }

  // Both or neither (a schema rule); here, that they make a CA and its key.
  const Value& ca_cert = config.GetAttr("ca_cert_pem");
  const Value& ca_key = config.GetAttr("ca_private_key_pem");
  if (!ca_cert.IsKnown()) return;
  auto certs = pki::ParseCertificates(ca_cert.AsString());
  if (!certs.ok()) return;  // the schema validator reports it
  X509* ca = certs->front().get();
  if (!pki::IsCa(ca)) {
    diags.AddError("Not a CA certificate",
                   "ca_cert_pem must be a CA certificate (basic constraints CA:TRUE with the keyCertSign usage). Use "
                   "a pgha_certificate with is_ca = true, or a tls_self_signed_cert with is_ca_certificate = true.",
                   Path::Of("ca_cert_pem"));
  }
  if (!ca_key.IsKnown()) return;
  auto key = pki::ParsePrivateKey(ca_key.AsString());
  if (key.ok() && !pki::KeyMatchesCertificate(ca, key->get())) {
    diags.AddError("CA private key does not match the CA certificate",
                   "ca_private_key_pem must be the private key of the certificate in ca_cert_pem.",
                   Path::Of("ca_private_key_pem"));
  }
}

void Certificate::ModifyPlan(const Context& ctx, const Value& prior, const Value&, schema::PlannedChange& plan,
                             Diagnostics&) const {
  if (prior.IsNull() || plan.planned.IsNull()) return;
  const Reader before(schema().block, prior);
  if (before.Bool("ready_for_renewal") || ReadyForRenewal(before, ctx.now)) {
    // Replacing through ready_for_renewal shows the user why in the plan.
    plan.planned = plan.planned.WithAttr("ready_for_renewal", Value::Unknown(value::Type::Bool()));
    plan.requires_replace.push_back(Path::Of("ready_for_renewal"));
  }
}

Value Certificate::Create(const Context& ctx, const Value& planned, Diagnostics& diags) const {
  const Reader in(schema().block, planned);
  auto algorithm = pki::ParseKeyAlgorithm(in.String("key_algorithm"));
  if (!algorithm) {
    diags.AddError("Unsupported key algorithm", "See key_algorithm for the algorithms pgha supports.",
                   Path::Of("key_algorithm"));
    return Value::Null(schema().type);
  }
  auto key = pki::GenerateKey(*algorithm);
  if (!key.ok()) {
    diags.AddError("Failed to generate the private key", std::string(key.status().message()),
                   Path::Of("key_algorithm"));
    return Value::Null(schema().type);
  }

  pki::CertificateRequest request;
  request.common_name = in.String("common_name");
  request.organization = in.String("organization");
  request.dns_names = in.Strings("dns_names");
  request.ip_addresses = in.Strings("ip_addresses");
  request.allowed_uses = in.Strings("allowed_uses");
  request.is_ca = in.Bool("is_ca");
  request.not_before = ctx.now;
  request.validity_hours = in.Int("validity_period_hours");

  const bool ca_signed = in.IsSet("ca_cert_pem") && in.IsSet("ca_private_key_pem");
  absl::StatusOr<pki::IssuedCertificate> issued;
  std::string ca_pem;
  if (ca_signed) {
    ca_pem = in.String("ca_cert_pem");
    auto ca_certs = pki::ParseCertificates(ca_pem);
    if (!ca_certs.ok()) {
      diags.AddError("Failed to parse the CA certificate PEM", std::string(ca_certs.status().message()),
                     Path::Of("ca_cert_pem"));
      return Value::Null(schema().type);
    }
    auto ca_key = pki::ParsePrivateKey(in.String("ca_private_key_pem"));
    if (!ca_key.ok()) {
      diags.AddError("Failed to parse the CA private key PEM", std::string(ca_key.status().message()),
                     Path::Of("ca_private_key_pem"));
      return Value::Null(schema().type);
    }
    issued = pki::IssueCertificate(request, key->get(), ca_certs->front().get(), ca_key->get());
  } else {
    issued = pki::IssueCertificate(request, key->get(), nullptr, key->get());
  }
  if (!issued.ok()) {
    diags.AddError("Failed to issue the certificate", std::string(issued.status().message()));
    return Value::Null(schema().type);
  }

  const std::string cert_pem = pki::CertificateToPem(issued->cert.get());
  Value state = planned;
  state = state.WithAttr("id", Value::String(issued->serial_decimal));
  state = state.WithAttr("serial", Value::String(issued->serial_decimal));
  state = state.WithAttr("private_key_pem", Value::String(pki::PrivateKeyToPem(key->get())));
  state = state.WithAttr("cert_pem", Value::String(cert_pem));
  state = state.WithAttr("chain_pem", Value::String(ca_signed ? cert_pem + ca_pem : cert_pem));
  if (!ca_signed) state = state.WithAttr("ca_cert_pem", Value::String(cert_pem));
  state = state.WithAttr("validity_start_time", Value::String(pki::Rfc3339(issued->not_before)));
  state = state.WithAttr("validity_end_time", Value::String(pki::Rfc3339(issued->not_after)));
  state = state.WithAttr("ready_for_renewal", Value::Bool(ReadyForRenewal(Reader(schema().block, state), ctx.now)));
  return state;
}

Value Certificate::Read(const Context& ctx, const Value& state, Diagnostics&) const {
  // Nothing lives outside the state; only the clock moves.
  return state.WithAttr("ready_for_renewal", Value::Bool(ReadyForRenewal(Reader(schema().block, state), ctx.now)));
}

void Certificate::Delete(const Context&, const Value&, Diagnostics&) const {}

Value Certificate::Import(const Context&, const std::string&, Diagnostics& diags) const {
  diags.AddError("pgha_certificate cannot be imported",
                 "The certificate's private key exists only in Terraform state, so there is nothing to import. "
                 "Declare the certificate and let pgha create it; to bring in an existing CA, pass its PEMs to "
                 "ca_cert_pem and ca_private_key_pem.");
  return Value::Null(schema().type);
}

}  // namespace pgha::resources
