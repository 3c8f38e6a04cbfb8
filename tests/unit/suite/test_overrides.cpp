// `run` load overrides: what each flag changes, and the located refusals.

#include "llmbench/suite/overrides.hpp"

#include <gtest/gtest.h>

#include "llmbench/suite/loader.hpp"
#include "llmbench/util/error.hpp"

using namespace llmbench::suite;

namespace {

Suite load(const std::string& load_table) {
  const std::string text = "[suite]\nname = \"o\"\n[load]\n" + load_table +
                           "\n[[targets]]\nname = \"fast\"\nprovider = \"mock\"\n"
                           "[[targets]]\nname = \"slow\"\nprovider = \"mock\"\n"
                           "[[prompts]]\nid = \"hello\"\nprompt = \"hi\"\n"
                           "[[prompts]]\nid = \"bye\"\nprompt = \"bye\"\n";
  auto r = load_suite_text(text, "o.toml");
  EXPECT_TRUE(r.suite) << (r.diagnostics.items().empty() ? ""
                                                         : r.diagnostics.items()[0].to_string());
  return *r.suite;
}

}  // namespace

TEST(Overrides, EachFlagChangesWhatItSays) {
  Suite s = load("mode = \"rate\"\nrate = 5\nduration = \"30s\"\nwarmup = 3");
  LoadOverrides o;
  o.concurrency = 8;
  o.requests = 40;
  o.warmup = 0;
  o.targets = {"slow"};
  o.prompts = {"bye"};
  apply_overrides(s, o);
  EXPECT_EQ(s.load.mode, LoadMode::concurrency);
  EXPECT_EQ(s.load.concurrency, 8);
  EXPECT_EQ(s.load.requests, 40);
  EXPECT_FALSE(s.load.duration);  // --requests alone decides when to stop
  EXPECT_EQ(s.load.warmup, 0);
  ASSERT_EQ(s.targets.size(), 1u);
  EXPECT_EQ(s.targets[0].name, "slow");
  ASSERT_EQ(s.prompts.size(), 1u);
  EXPECT_EQ(s.prompts[0].id, "bye");
  EXPECT_EQ(o.describe(), "--concurrency 8 --requests 40 --warmup 0 --target slow --prompt bye");
  EXPECT_EQ(o.to_json(),
            R"({"concurrency":8,"requests":40,"warmup":0,"targets":["slow"],"prompts":["bye"]})");

  Suite p = load("mode = \"poisson\"\nrate = 5\nrequests = 10");
  LoadOverrides r;
  r.rate = 20;
  r.duration = "2m";
  apply_overrides(p, r);
  EXPECT_EQ(p.load.mode, LoadMode::poisson);  // stays Poisson
  EXPECT_DOUBLE_EQ(p.load.rate, 20);
  EXPECT_FALSE(p.load.requests);
  ASSERT_TRUE(p.load.duration);
  EXPECT_EQ(p.load.duration->count(), 120'000'000'000);
  EXPECT_TRUE(LoadOverrides{}.empty());
  EXPECT_EQ(LoadOverrides{}.to_json(), "{}");
}

TEST(Overrides, BadOverridesAreRefusedWithTheFix) {
  const auto refusal = [](const std::string& table, LoadOverrides o) -> std::string {
    Suite s = load(table);
    try {
      apply_overrides(s, o);
    } catch (const llmbench::InputError& e) {
      return e.what();
    }
    return "";
  };
  LoadOverrides typo;
  typo.targets = {"fsat"};
  EXPECT_NE(refusal("mode = \"concurrency\"\nrequests = 1", typo).find("did you mean \"fast\"?"),
            std::string::npos);
  LoadOverrides both;
  both.concurrency = 2;
  both.rate = 3;
  EXPECT_NE(refusal("mode = \"concurrency\"\nrequests = 1", both).find("choose one"),
            std::string::npos);
  LoadOverrides sweep;
  sweep.rate = 3;
  EXPECT_NE(refusal("mode = \"sweep\"\nrates = [1, 2]\nrequests = 1", sweep).find("sweep"),
            std::string::npos);
  LoadOverrides zero;
  zero.concurrency = 0;
  EXPECT_NE(refusal("mode = \"concurrency\"\nrequests = 1", zero).find("--concurrency 0"),
            std::string::npos);
  LoadOverrides bare;
  bare.duration = "30";
  EXPECT_NE(refusal("mode = \"concurrency\"\nrequests = 1", bare).find("--duration 30"),
            std::string::npos);
}
