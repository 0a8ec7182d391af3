#include "pki/der.h"

#include <chrono>

#include "absl/strings/escaping.h"

namespace pgha::pki::der {
namespace {

std::string TwoDigits(int value) { return {static_cast<char>('0' + value / 10), static_cast<char>('0' + value % 10)}; }

}  // namespace

std::string Tlv(uint8_t tag, std::string_view contents) {
  std::string out(1, static_cast<char>(tag));
  const size_t n = contents.size();
  if (n < 0x80) {
    out.push_back(static_cast<char>(n));
  } else {
    std::string length;
    for (size_t rest = n; rest != 0; rest >>= 8) length.insert(length.begin(), static_cast<char>(rest & 0xff));
    out.push_back(static_cast<char>(0x80 | length.size()));
    out += length;
  }
  out += contents;
  return out;
}

std::string Sequence(std::string_view contents) { return Tlv(0x30, contents); }
std::string Set(std::string_view contents) { return Tlv(0x31, contents); }
std::string Explicit(int n, std::string_view contents) { return Tlv(static_cast<uint8_t>(0xa0 | n), contents); }

std::string UnsignedInteger(std::string_view big_endian) {
  size_t first = 0;
  while (first + 1 < big_endian.size() && big_endian[first] == 0) ++first;
  std::string contents(big_endian.substr(first));
  if (contents.empty()) contents.push_back(0);
  if (static_cast<uint8_t>(contents[0]) & 0x80) contents.insert(contents.begin(), '\0');
  return Tlv(0x02, contents);
}

std::string SmallInteger(uint8_t value) {
  return UnsignedInteger(std::string_view(reinterpret_cast<const char*>(&value), 1));
}

std::string Oid(std::string_view encoded) { return Tlv(0x06, encoded); }
std::string OctetString(std::string_view bytes) { return Tlv(0x04, bytes); }

std::string BitString(std::string_view bytes) {
  std::string contents(1, '\0');  // no unused bits in the last byte
  contents += bytes;
  return Tlv(0x03, contents);
}

std::string Boolean(bool value) { return Tlv(0x01, std::string(1, value ? '\xff' : '\0')); }
std::string Utf8String(std::string_view text) { return Tlv(0x0c, text); }

std::string Time(std::time_t when) {
  // Civil UTC by arithmetic: glibc's gmtime_r reads /etc/localtime on first
  // use, a file this process has no other reason to open.
  using namespace std::chrono;
  const sys_seconds at{seconds{when}};
  const sys_days day = floor<days>(at);
  const year_month_day date{day};
  const hh_mm_ss clock{at - day};
  const int year = static_cast<int>(date.year());
  const int fields[] = {static_cast<int>(static_cast<unsigned>(date.month())),
                        static_cast<int>(static_cast<unsigned>(date.day())), static_cast<int>(clock.hours().count()),
                        static_cast<int>(clock.minutes().count()), static_cast<int>(clock.seconds().count())};
  const bool utc_time = year >= 1950 && year < 2050;
  std::string text = utc_time ? TwoDigits(year % 100) : TwoDigits(year / 100) + TwoDigits(year % 100);
  for (int field : fields) text += TwoDigits(field);
  text += 'Z';
  return Tlv(utc_time ? 0x17 : 0x18, text);
}

std::string Pem(std::string_view label, std::string_view der) {
  const std::string base64 = absl::Base64Escape(absl::string_view(der.data(), der.size()));
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (size_t at = 0; at < base64.size(); at += 64) {
    out.append(base64, at, 64);
    out.push_back('\n');
  }
  out += "-----END " + std::string(label) + "-----\n";
  return out;
}

}  // namespace pgha::pki::der
