#include "pki/certificate.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include "absl/status/status.h"
#include "base/strings.h"
#include "absl/time/time.h"
#include "pki/key.h"
#include "pki/openssl_error.h"

namespace pgha::pki {
namespace {

enum class UseKind { kKeyUsage, kExtended };

struct UseInfo {
  std::string_view name;
  UseKind kind;
  // KU_* bit for key usage, NID for extended key usage.
  int value;
};

const UseInfo kUses[] = {
    {"digital_signature", UseKind::kKeyUsage, KU_DIGITAL_SIGNATURE},
    {"content_commitment", UseKind::kKeyUsage, KU_NON_REPUDIATION},
    {"key_encipherment", UseKind::kKeyUsage, KU_KEY_ENCIPHERMENT},
    {"data_encipherment", UseKind::kKeyUsage, KU_DATA_ENCIPHERMENT},
    {"key_agreement", UseKind::kKeyUsage, KU_KEY_AGREEMENT},
    {"cert_signing", UseKind::kKeyUsage, KU_KEY_CERT_SIGN},
    {"crl_signing", UseKind::kKeyUsage, KU_CRL_SIGN},
    {"encipher_only", UseKind::kKeyUsage, KU_ENCIPHER_ONLY},
    {"decipher_only", UseKind::kKeyUsage, KU_DECIPHER_ONLY},
    {"any_extended", UseKind::kExtended, NID_anyExtendedKeyUsage},
    {"server_auth", UseKind::kExtended, NID_server_auth},
    {"client_auth", UseKind::kExtended, NID_client_auth},
    {"code_signing", UseKind::kExtended, NID_code_sign},
    {"email_protection", UseKind::kExtended, NID_email_protect},
    {"ipsec_end_system", UseKind::kExtended, NID_ipsecEndSystem},
    {"ipsec_tunnel", UseKind::kExtended, NID_ipsecTunnel},
    {"ipsec_user", UseKind::kExtended, NID_ipsecUser},
    {"timestamping", UseKind::kExtended, NID_time_stamp},
    {"ocsp_signing", UseKind::kExtended, NID_OCSP_sign},
};

absl::Status AddExtension(X509* cert, int nid, void* data, bool critical) {
  if (X509_add1_ext_i2d(cert, nid, data, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError(pgha::StrCat("adding extension ", OBJ_nid2sn(nid)));
  }
  return absl::OkStatus();
}

absl::Status AddSubjectAltNames(X509* cert, const CertificateRequest& request) {
  if (request.dns_names.empty() && request.ip_addresses.empty()) return absl::OkStatus();
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  // Built as typed GENERAL_NAMEs, never from a config string, so a name cannot smuggle in another entry.
  for (const auto& dns : request.dns_names) {
    GENERAL_NAME* gn = GENERAL_NAME_new();
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size()));
    GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  for (const auto& ip : request.ip_addresses) {
    ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
    if (octets == nullptr) {
      ERR_clear_error();
      return absl::InvalidArgumentError(pgha::StrCat("\"", ip, "\" is not an IP address"));
    }
    GENERAL_NAME* gn = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(gn, GEN_IPADD, octets);
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  return AddExtension(cert, NID_subject_alt_name, names.get(), false);
}

absl::Status AddUsages(X509* cert, const std::vector<std::string>& uses) {
  int key_usage = 0;
  std::unique_ptr<EXTENDED_KEY_USAGE, Deleter<EXTENDED_KEY_USAGE_free>> eku(sk_ASN1_OBJECT_new_null());
  for (const auto& use : uses) {
    const UseInfo* info = nullptr;
    for (const auto& u : kUses) {
      if (u.name == use) info = &u;
    }
    if (info == nullptr) return absl::InvalidArgumentError(pgha::StrCat("unknown allowed use \"", use, "\""));
    if (info->kind == UseKind::kKeyUsage) {
      key_usage |= info->value;
    } else {
      sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(info->value));
    }
  }
  if (key_usage != 0) {
    std::unique_ptr<ASN1_BIT_STRING, Deleter<ASN1_BIT_STRING_free>> bits(ASN1_BIT_STRING_new());
    for (int bit = 0; bit < 9; ++bit) {
      // KU_* values are the DER bit string's bits, most significant first.
      int mask = bit < 8 ? (0x80 >> bit) : KU_DECIPHER_ONLY;
      if (key_usage & mask) ASN1_BIT_STRING_set_bit(bits.get(), bit, 1);
    }
    auto status = AddExtension(cert, NID_key_usage, bits.get(), true);
    if (!status.ok()) return status;
  }
  if (sk_ASN1_OBJECT_num(eku.get()) > 0) {
    auto status = AddExtension(cert, NID_ext_key_usage, eku.get(), false);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return OpenSslError("random serial");
  bytes[0] &= 0x7f;  // positive
  bytes[0] |= 0x01;  // and never shorter than 121 bits
  BignumPtr bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) return OpenSslError("serial");
  char* dec = BN_bn2dec(bn.get());
  std::string out(dec);
  OPENSSL_free(dec);
  return out;
}

}  // namespace

const std::vector<std::string_view>& AllowedUseNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string_view>();
    for (const auto& u : kUses) v->push_back(u.name);
    return v;
  }();
  return *names;
}

absl::StatusOr<IssuedCertificate> IssueCertificate(const CertificateRequest& request, EVP_PKEY* subject_key,
                                                   X509* issuer_cert, EVP_PKEY* issuer_key) {
  IssuedCertificate issued;
  issued.cert.reset(X509_new());
  X509* cert = issued.cert.get();
  X509_set_version(cert, X509_VERSION_3);

  auto serial = SetRandomSerial(cert);
  if (!serial.ok()) return serial.status();
  issued.serial_decimal = *std::move(serial);

  issued.not_before = request.not_before;
  issued.not_after = request.not_before + static_cast<std::time_t>(request.validity_hours) * 3600;
  if (!ASN1_TIME_set(X509_getm_notBefore(cert), issued.not_before) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert), issued.not_after)) {
    return OpenSslError("validity period");
  }

  X509_NAME* subject = X509_get_subject_name(cert);
  auto add_name = [&](const char* field, const std::string& text) {
    if (text.empty()) return true;
    return X509_NAME_add_entry_by_txt(subject, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(text.data()),
                                      static_cast<int>(text.size()), -1, 0) == 1;
  };
  if (!add_name("O", request.organization) || !add_name("CN", request.common_name)) {
    return OpenSslError("subject name");
  }
  X509_set_issuer_name(cert, issuer_cert ? X509_get_subject_name(issuer_cert) : subject);
  if (X509_set_pubkey(cert, subject_key) != 1) return OpenSslError("public key");

  std::unique_ptr<BASIC_CONSTRAINTS, Deleter<BASIC_CONSTRAINTS_free>> bc(BASIC_CONSTRAINTS_new());
  bc->ca = request.is_ca ? 0xff : 0;
  auto status = AddExtension(cert, NID_basic_constraints, bc.get(), true);
  if (!status.ok()) return status;
  if (status = AddUsages(cert, request.allowed_uses); !status.ok()) return status;
  if (status = AddSubjectAltNames(cert, request); !status.ok()) return status;

  // Key identifiers let verifiers pick the right issuer when a CA is rotated.
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert ? issuer_cert : cert, cert, nullptr, nullptr, 0);
  for (auto [nid, text] : {std::pair{NID_subject_key_identifier, "hash"},
                           std::pair{NID_authority_key_identifier, "keyid:always"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, text);
    if (ext == nullptr) return OpenSslError("key identifier");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }

  if (X509_sign(cert, issuer_key, SigningDigest(issuer_key)) <= 0) return OpenSslError("signing");
  return issued;
}

bool IsCa(X509* cert) { return X509_check_ca(cert) == 1; }

bool KeyMatchesCertificate(X509* cert, EVP_PKEY* key) {
  bool ok = X509_check_private_key(cert, key) == 1;
  ERR_clear_error();
  return ok;
}

absl::Status VerifyCertificate(X509* leaf, X509* trusted) {
  X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), trusted);
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  if (X509_verify_cert(ctx.get()) != 1) {
    return absl::InvalidArgumentError(X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  }
  return absl::OkStatus();
}

std::string Rfc3339(std::time_t t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromTimeT(t), absl::UTCTimeZone());
}

absl::StatusOr<std::time_t> ParseRfc3339(std::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return absl::InvalidArgumentError(pgha::StrCat("invalid RFC 3339 time: ", err));
  }
  return absl::ToTimeT(t);
}

}  // namespace pgha::pki
