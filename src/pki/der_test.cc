#include "pki/der.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace pgha::pki::der {
namespace {

std::string Hex(const std::string& bytes) { return absl::BytesToHexString(bytes); }

TEST(Der, LengthsUseTheShortFormBelow128AndTheLongFormAbove) {
  EXPECT_EQ(Hex(Tlv(0x04, std::string(127, 'a'))).substr(0, 4), "047f");
  EXPECT_EQ(Hex(Tlv(0x04, std::string(128, 'a'))).substr(0, 6), "048180");
  EXPECT_EQ(Hex(Tlv(0x04, std::string(300, 'a'))).substr(0, 8), "0482012c");
  EXPECT_EQ(Tlv(0x04, std::string(300, 'a')).size(), 304u);
}

TEST(Der, IntegersAreMinimalAndNonNegative) {
  EXPECT_EQ(Hex(SmallInteger(0)), "020100");
  EXPECT_EQ(Hex(SmallInteger(2)), "020102");
  EXPECT_EQ(Hex(SmallInteger(0x80)), "02020080");
  EXPECT_EQ(Hex(UnsignedInteger(std::string("\x00\x00\x01", 3))), "020101");
  EXPECT_EQ(Hex(UnsignedInteger(std::string("\xff\x01", 2))), "020300ff01");
}

TEST(Der, TimesAreUtcTimeUntil2049AndGeneralizedAfter) {
  EXPECT_EQ(Time(0).substr(2), "700101000000Z");
  EXPECT_EQ(Time(0)[0], 0x17);
  EXPECT_EQ(Time(2524608000).substr(2), "20500101000000Z");  // 2050-01-01
  EXPECT_EQ(Time(2524608000)[0], 0x18);
  EXPECT_EQ(Time(2524607999).substr(2), "491231235959Z");
  EXPECT_EQ(Time(951827696).substr(2), "000229123456Z");  // a leap day, 2000
  EXPECT_EQ(Time(1796431021).substr(2), "261205003701Z");
}

TEST(Der, PemWrapsBase64At64Characters) {
  std::string pem = Pem("CERTIFICATE", std::string(49, '\0'));
  EXPECT_EQ(pem, "-----BEGIN CERTIFICATE-----\n" + std::string(64, 'A') + "\nAA==\n-----END CERTIFICATE-----\n");
  EXPECT_EQ(Hex(BitString("\x01")), "03020001");
  EXPECT_EQ(Hex(Boolean(true)), "0101ff");
}

}  // namespace
}  // namespace pgha::pki::der
