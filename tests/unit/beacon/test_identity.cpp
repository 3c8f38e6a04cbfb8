// The install identity and the two attestation modes.

#include "llmbench/beacon/identity.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "llmbench/util/error.hpp"
#include "support/beacon_fixtures.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench::beacon;

namespace {

Beacon sample() {
  return llmbench::testing::sample_beacon();
}

}  // namespace

TEST(Identity, CreatedPrivateAndReadBack) {
  llmbench::testing::TempDir dir;
  const std::string path = dir.file("cfg/llmbench/install.json");
  EXPECT_FALSE(load_install(path));
  const Install made = create_install(path);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  const auto read = load_install(path);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->install_id, made.install_id);
  EXPECT_EQ(read->install_hmac, made.install_hmac);
  EXPECT_EQ(read->secret, made.secret);
  EXPECT_EQ(made.install_hmac.size(), 64u);
  EXPECT_NE(made.install_hmac, made.secret);
  EXPECT_NE(create_install(dir.file("other.json")).install_id, made.install_id);
  // An f3dx-style file without a secret works for token mode only.
  const auto f3dx = dir.write(
      "f3dx.json", R"({"install_id":"72d7ea54-7a6b-47fa-985f-c05217fd32ac","install_hmac":")" +
                       std::string(64, 'b') + "\"}");
  const auto shared = load_install(f3dx);
  ASSERT_TRUE(shared);
  Beacon b = sample();
  attest(b, *shared, Attestation::token);
  EXPECT_EQ(b.install_hmac, std::string(64, 'b'));
  EXPECT_THROW(attest(b, *shared, Attestation::message), llmbench::InputError);
  EXPECT_THROW(load_install(dir.write("bad.json", "{\"install_id\":\"x\"}")), llmbench::InputError);
}

TEST(Identity, HmacSha256MatchesRfc4231) {
  // RFC 4231, test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Identity, MessageModeSignsEveryFieldAndDetectsAnyChange) {
  llmbench::testing::TempDir dir;
  const Install install = create_install(dir.file("i.json"));
  Beacon b = sample();
  attest(b, install, Attestation::message);
  EXPECT_NE(b.install_hmac, install.install_hmac);  // a signature, not the token
  EXPECT_TRUE(verify_message_hmac(b, install.secret));
  EXPECT_FALSE(verify_message_hmac(b, create_install(dir.file("j.json")).secret));
  const std::vector<std::function<void(Beacon&)>> alterations = {
      [](Beacon& x) { x.ts = "2026-11-27T03:04:05.679Z"; },
      [](Beacon& x) { x.install_id = "00000000-0000-4000-8000-000000000000"; },
      [](Beacon& x) { x.model = "gpt-4o"; },
      [](Beacon& x) { x.provider = "other"; },
      [](Beacon& x) { x.region = "us-east-1"; },
      [](Beacon& x) { x.region.reset(); },
      [](Beacon& x) { x.status_code = 500; },
      [](Beacon& x) { x.latency_ms_to_first_token = 211; },
      [](Beacon& x) { x.latency_ms_total = 901; },
      [](Beacon& x) { x.input_tokens = 13; },
      [](Beacon& x) { x.output_tokens = 63; },
      [](Beacon& x) { x.cost_usd_estimate = 0.0000124; },
      [](Beacon& x) { x.cost_usd_estimate.reset(); },
  };
  for (std::size_t i = 0; i < alterations.size(); ++i) {
    Beacon altered = b;
    alterations[i](altered);
    EXPECT_FALSE(verify_message_hmac(altered, install.secret)) << "alteration " << i;
  }
  // The signature is over the canonical form: member order and number spelling do not
  // matter, so the collector can verify what it parsed.
  Beacon reparsed = *parse(to_json(b));
  EXPECT_TRUE(verify_message_hmac(reparsed, install.secret));
}
