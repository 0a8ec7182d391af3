#include "etcd/client.h"

#include "gtest/gtest.h"
#include "support/real_etcd.h"

namespace pgha::etcd {
namespace {

TEST(HexId, IsEtcdctlsSpelling) {
  EXPECT_EQ(HexId(0x8e9e05c52164694dULL), "8e9e05c52164694d");
  EXPECT_EQ(HexId(0), "0");
}

class ClientTest : public testing::RealEtcdTest {};

TEST_F(ClientTest, AnEndpointThatDoesNotAnswerIsSkippedAndAWrongPasswordNeverShows) {
  StartCluster(1);
  // Nothing listens on member 9's port: the call goes on to member 1.
  Client client = RootClient({ClientUrl(9), ClientUrl(1)});
  auto members = client.MemberList();
  ASSERT_TRUE(members.ok()) << members.status();
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ(members->front().name, Name(1));
  EXPECT_EQ(members->front().client_urls, std::vector<std::string>{ClientUrl(1)});
  auto status = client.Status(ClientUrl(1));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->leader, members->front().id);  // alone: its own leader
  EXPECT_EQ(status->version.substr(0, 4), "3.4.");

  Credentials wrong;
  wrong.ca_pem = Read("ca.crt");
  wrong.cert_pem = Read("member.crt");
  wrong.key_pem = Read("member.key");
  wrong.user = "root";
  wrong.password = "not-the-password-7f3a";
  auto refused = Client({ClientUrl(1)}, wrong).MemberList();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("authentication failed"), std::string::npos) << refused.status();
  EXPECT_EQ(refused.status().message().find("not-the-password-7f3a"), std::string::npos);

  // A member certificate is no root: etcd refuses a membership change to it.
  Credentials member;
  member.ca_pem = Read("ca.crt");
  member.cert_pem = Read("member.crt");
  member.key_pem = Read("member.key");
  auto denied = Client({ClientUrl(1)}, member).AddLearner(PeerUrl(2));
  EXPECT_FALSE(denied.ok());
  auto after = client.MemberList();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), 1u) << denied.status();
}

}  // namespace
}  // namespace pgha::etcd
