// Just enough DER (ITU-T X.690) to write a fixed-shape certificate by hand.
// The AutoMTLS identity is written this way because OpenSSL 3.0's X509
// builder and PEM encoders set up encoders and decoders for every call (a
// round trip of the public key among them), which cost a large share of
// the provider's start-up; see docs/benchmarks.md.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace pgha::pki::der {

// Tag, definite length, contents.
std::string Tlv(uint8_t tag, std::string_view contents);
std::string Sequence(std::string_view contents);
std::string Set(std::string_view contents);
// [n] EXPLICIT: a constructed context-specific tag around `contents`.
std::string Explicit(int n, std::string_view contents);
// A non-negative INTEGER from big-endian unsigned bytes (leading zeros
// dropped, a 0x00 added where the high bit would make it negative).
std::string UnsignedInteger(std::string_view big_endian);
std::string SmallInteger(uint8_t value);
// An OBJECT IDENTIFIER from its encoded contents.
std::string Oid(std::string_view encoded);
std::string OctetString(std::string_view bytes);
// A BIT STRING of whole bytes (no unused bits).
std::string BitString(std::string_view bytes);
std::string Boolean(bool value);
std::string Utf8String(std::string_view text);
// UTCTime for 1950-2049, GeneralizedTime otherwise, as RFC 5280 4.1.2.5 has it.
std::string Time(std::time_t when);

// PEM armour: base64 in 64-character lines between BEGIN and END `label`.
std::string Pem(std::string_view label, std::string_view der);

}  // namespace pgha::pki::der
