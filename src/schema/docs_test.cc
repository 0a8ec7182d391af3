#include "schema/docs.h"

#include "gtest/gtest.h"

namespace pgha::schema {
namespace {

TEST(Docs, CertificatePageListsEveryAttributeInItsGroup) {
  auto catalog = Catalog::LoadEmbedded();
  ASSERT_TRUE(catalog.ok());
  const Schema* s = catalog->resource("pgha_certificate");
  ASSERT_NE(s, nullptr);
  std::string md = RenderMarkdown(*s, "");
  for (const auto& a : s->block.attributes) {
    EXPECT_NE(md.find("- `" + a.name + "` ("), std::string::npos) << a.name;
  }
  const auto required = md.find("#### Required");
  const auto optional = md.find("#### Optional");
  const auto read_only = md.find("#### Read-Only");
  ASSERT_NE(required, std::string::npos);
  EXPECT_LT(required, md.find("`allowed_uses`"));
  EXPECT_LT(optional, md.find("`key_algorithm`"));
  EXPECT_LT(read_only, md.find("`cert_pem`"));
  EXPECT_NE(md.find("`ca_private_key_pem` (string, sensitive)"), std::string::npos);
  EXPECT_NE(md.find("Default: `\"ECDSA_P256\"`"), std::string::npos);
}

}  // namespace
}  // namespace pgha::schema
