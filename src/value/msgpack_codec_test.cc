#include "value/msgpack_codec.h"

#include <msgpack.hpp>

#include "gtest/gtest.h"

namespace pgha::value {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

std::string Bytes(const std::vector<int>& b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

Value RoundTrip(const Value& v, const Type& t) {
  auto decoded = DecodeMsgpack(EncodeMsgpack(v, t), t);
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  return decoded.ok() ? *decoded : Value();
}

TEST(MsgpackCodec, PrimitivesMatchCtyBytes) {
  EXPECT_EQ(EncodeMsgpack(Value::String("hi"), Type::String()), Bytes({0xa2, 'h', 'i'}));
  EXPECT_EQ(EncodeMsgpack(Value::Bool(true), Type::Bool()), Bytes({0xc3}));
  EXPECT_EQ(EncodeMsgpack(Value::Int(5), Type::Number()), Bytes({0x05}));
  EXPECT_EQ(EncodeMsgpack(Value::Null(Type::String()), Type::String()), Bytes({0xc0}));
  // cty's plain unknown is fixext1 of extension type 0.
  EXPECT_EQ(EncodeMsgpack(Value::Unknown(Type::String()), Type::String()), Bytes({0xd4, 0x00, 0x00}));
}

TEST(MsgpackCodec, NumbersKeepTheirForm) {
  EXPECT_EQ(RoundTrip(Value::Int(-42), Type::Number()).AsNumber(), Number::Int(-42));
  EXPECT_EQ(RoundTrip(Value::NumberValue(Number::Float(1.5)), Type::Number()).AsNumber().AsDouble(), 1.5);
  auto big = Number::Decimal("123456789012345678901234567890");
  ASSERT_TRUE(big.ok());
  Value v = RoundTrip(Value::NumberValue(*big), Type::Number());
  EXPECT_EQ(v.AsNumber().decimal_text(), "123456789012345678901234567890");
  // uint64 beyond int64 arrives from Go as a positive integer.
  auto decoded = DecodeMsgpack(Bytes({0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), Type::Number());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->AsNumber().decimal_text(), "18446744073709551615");
}

TEST(MsgpackCodec, ObjectsHaveExactlyTheirAttributes) {
  Type t = Type::Object({{"a", Type::String()}, {"b", Type::Number()}});
  Value v = Value::Object({{"a", Value::String("x")}, {"b", Value::Null(Type::Number())}});
  // Sorted keys, nulls included.
  EXPECT_EQ(EncodeMsgpack(v, t), Bytes({0x82, 0xa1, 'a', 0xa1, 'x', 0xa1, 'b', 0xc0}));
  EXPECT_EQ(RoundTrip(v, t), v);
  // One attribute short is rejected, as cty does.
  EXPECT_FALSE(DecodeMsgpack(Bytes({0x81, 0xa1, 'a', 0xa1, 'x'}), t).ok());
  // An attribute the schema does not have is rejected.
  EXPECT_FALSE(DecodeMsgpack(Bytes({0x82, 0xa1, 'a', 0xa1, 'x', 0xa1, 'z', 0xc0}), t).ok());
}

TEST(MsgpackCodec, CollectionsRoundTrip) {
  Value list = Value::StringList({"a", "b", "a"});
  EXPECT_EQ(RoundTrip(list, list.type()), list);
  Value set = Value::StringSet({"b", "a", "b"});
  EXPECT_EQ(set.Length(), 2u);
  EXPECT_EQ(RoundTrip(set, set.type()), Value::StringSet({"a", "b"}));
  Value map = Value::Map(Type::Number(), {{"x", Value::Int(1)}, {"y", Value::Unknown(Type::Number())}});
  Value back = RoundTrip(map, map.type());
  EXPECT_EQ(back, map);
  EXPECT_FALSE(back.IsWhollyKnown());
  Value tuple = Value::Tuple({Value::String("a"), Value::Int(1), Value::Bool(false)});
  EXPECT_EQ(RoundTrip(tuple, tuple.type()), tuple);
}

TEST(MsgpackCodec, RefinedUnknownsSurviveARoundTrip) {
  Refinements r;
  r.not_null = true;
  r.string_prefix = "https://";
  Value v = Value::Unknown(Type::String(), r);
  std::string wire = EncodeMsgpack(v, Type::String());
  // Extension type 12 carries refinements.
  ASSERT_GE(wire.size(), 3u);
  EXPECT_EQ(static_cast<unsigned char>(wire[0]), 0xc7);  // ext8
  EXPECT_EQ(wire[2], 12);
  auto back = DecodeMsgpack(wire, Type::String());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->IsUnknown());
  EXPECT_EQ(back->refinements(), r);

  Refinements n;
  n.number_lower = {Number::Int(1), true};
  n.number_upper = {Number::Int(10), false};
  EXPECT_EQ(RoundTrip(Value::Unknown(Type::Number(), n), Type::Number()).refinements(), n);
  Refinements len;
  len.length_min = 1;
  len.length_max = 3;
  Type lt = Type::List(Type::String());
  EXPECT_EQ(RoundTrip(Value::Unknown(lt, len), lt).refinements(), len);
}

TEST(MsgpackCodec, AnyExtensionIsUnknownAndUnknownRefinementKeysAreIgnored) {
  // ext8 with an empty payload, as some non-Go providers write.
  auto v = DecodeMsgpack(Bytes({0xc7, 0x00, 0x00}), Type::String());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->IsUnknown());
  // Refinement map {1: false, 99: "future"}.
  auto refined = DecodeMsgpack(Bytes({0xc7, 0x0b, 0x0c, 0x82, 0x01, 0xc2, 0x63, 0xa6, 'f', 'u', 't', 'u', 'r', 'e'}),
                               Type::String());
  ASSERT_TRUE(refined.ok()) << refined.status();
  EXPECT_TRUE(refined->refinements().not_null);
}

TEST(MsgpackCodec, DynamicValuesCarryTheirType) {
  Value inner = Value::StringList({"x"});
  std::string wire = EncodeMsgpack(inner, Type::Dynamic());
  // [bin("[\"list\",\"string\"]"), ["x"]]
  EXPECT_EQ(static_cast<unsigned char>(wire[0]), 0x92);
  EXPECT_EQ(static_cast<unsigned char>(wire[1]), 0xc4);
  auto back = DecodeMsgpack(wire, Type::Dynamic());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, inner);
  // A null of unknown type is plain nil; an unknown of unknown type a bare extension.
  EXPECT_EQ(EncodeMsgpack(Value::Null(Type::Dynamic()), Type::Dynamic()), Bytes({0xc0}));
  EXPECT_EQ(EncodeMsgpack(Value::Unknown(Type::Dynamic()), Type::Dynamic()), Bytes({0xd4, 0x00, 0x00}));
  // Inside an object attribute.
  Type t = Type::Object({{"d", Type::Dynamic()}});
  Value obj = Value::Object({{"d", Value::Int(3)}});
  auto decoded = DecodeMsgpack(EncodeMsgpack(obj, t), t);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->GetAttr("d"), Value::Int(3));
}

TEST(MsgpackCodec, MalformedInputIsAnErrorNotACrash) {
  EXPECT_FALSE(DecodeMsgpack(Bytes({0x92, 0x01}), Type::List(Type::Number())).ok());
  EXPECT_FALSE(DecodeMsgpack(Bytes({0xa2, 'h'}), Type::String()).ok());
  EXPECT_FALSE(DecodeMsgpack(Bytes({0x01, 0x02}), Type::Number()).ok());
  EXPECT_FALSE(DecodeMsgpack(Bytes({0xa1, 'x'}), Type::Bool()).ok());
  // An empty buffer is Terraform's way of sending null.
  auto empty = DecodeMsgpack("", Type::String());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->IsNull());
}

TEST(MsgpackCodec, HeadersClaimingMoreThanTheInputHoldsAreRefusedCheaply) {
  // 5 bytes claiming 4 billion elements: an error, not an allocation of 100 GB.
  EXPECT_FALSE(DecodeMsgpack(Bytes({0xdd, 0xff, 0xff, 0xff, 0xff}), Type::List(Type::Number())).ok());
  EXPECT_FALSE(DecodeMsgpack(Bytes({0xdf, 0xff, 0xff, 0xff, 0xff}), Type::Map(Type::Number())).ok());
  EXPECT_FALSE(DecodeMsgpack(Bytes({0xdb, 0xff, 0xff, 0xff, 0xff}), Type::String()).ok());
  EXPECT_FALSE(DecodeMsgpack(Bytes({0xc6, 0xff, 0xff, 0xff, 0xff}), Type::String()).ok());
  EXPECT_FALSE(DecodeMsgpack(Bytes({0xc9, 0xff, 0xff, 0xff, 0xff, 0x0c}), Type::String()).ok());
  // Nested arrays each claiming many elements.
  std::vector<int> nested;
  for (int i = 0; i < 20; ++i) nested.insert(nested.end(), {0xdc, 0xff, 0xff});
  EXPECT_FALSE(DecodeMsgpack(Bytes(nested), Type::Dynamic()).ok());
}

TEST(MsgpackCodec, NestingIsBounded) {
  std::vector<int> deep(5000, 0x91);
  deep.push_back(0xc0);
  Type t = Type::Number();
  for (int i = 0; i < 5000; ++i) t = Type::List(t);
  EXPECT_FALSE(DecodeMsgpack(Bytes(deep), t).ok());
}

TEST(MsgpackCodec, NonFiniteNumbersAreRefused) {
  // float64 +infinity and NaN.
  EXPECT_FALSE(DecodeMsgpack(Bytes({0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0}), Type::Number()).ok());
  EXPECT_FALSE(DecodeMsgpack(Bytes({0xcb, 0xff, 0xf0, 0, 0, 0, 0, 0, 0}), Type::Number()).ok());
  EXPECT_FALSE(DecodeMsgpack(Bytes({0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0}), Type::Number()).ok());
  EXPECT_TRUE(DecodeMsgpack(Bytes({0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}), Type::Number()).ok());
}

TEST(TypeJson, DeeplyNestedConstraintIsAnErrorNotAStackOverflow) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "[\"list\",";
  text += "\"string\"";
  for (int i = 0; i < 20000; ++i) text += "]";
  auto t = Type::FromJsonText(text);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(std::string(t.status().message()).find("nested too deeply"), std::string::npos);
  EXPECT_TRUE(Type::FromJsonText("[\"list\",[\"map\",\"string\"]]").ok());
}

}  // namespace
}  // namespace pgha::value
