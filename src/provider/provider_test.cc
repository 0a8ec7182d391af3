// The provider without the wire: calls Terraform makes concurrently (its
// default parallelism is 10) while ConfigureProvider replaces the configuration.
#include "provider/provider.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace pgha::provider {
namespace {

using value::Value;

TEST(Provider, ResourceCallsKeepTheirOwnCopyOfTheConfiguration) {
  auto provider = Provider::Create();
  ASSERT_TRUE(provider.ok());
  Provider& p = **provider;
  const value::Type config_type = p.catalog().provider().type;
  // libvirt's in-memory test driver: every read is answered at once, and finds no such domain.
  auto config = [&](int i) {
    return Value::Object({{"uri", Value::String("test:///default" + std::string(i % 2 ? "" : "?x=" + std::string(64, 'y')))}});
  };
  (void)config_type;
  value::Diagnostics setup;
  p.Configure(config(1), "1.5.7", setup);
  ASSERT_FALSE(setup.HasError());

  const value::Type state_type = p.catalog().resource("pgha_etcd_member")->type;
  std::map<std::string, Value> attrs;
  for (const auto& [name, t] : state_type.attributes()) attrs.emplace(name, Value::Null(t));
  attrs["name"] = Value::String("no-such-domain");
  attrs["id"] = Value::String("8f3c2f7e-0000-4000-8000-000000000001");
  attrs["cloud_init_volume_pool"] = Value::String("default");
  const Value state = Value::Object(std::move(attrs));

  std::atomic<bool> done{false};
  std::thread configure([&] {
    for (int i = 0; !done.load(); ++i) {
      value::Diagnostics d;
      p.Configure(config(i), "1.5.7", d);
    }
  });
  std::vector<std::thread> readers;
  std::atomic<int> gone{0};
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        value::Diagnostics d;
        Value read = p.ReadResource("pgha_etcd_member", state, d);
        if (read.IsNull()) ++gone;
      }
    });
  }
  for (auto& r : readers) r.join();
  done = true;
  configure.join();
  EXPECT_EQ(gone.load(), 200);  // every read reached the test driver and found the domain gone
}

}  // namespace
}  // namespace pgha::provider
