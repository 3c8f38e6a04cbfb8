// The HTML report: one self-contained file. Static checks always run; the browser check
// opens it in headless Chromium (Debian `chromium`, installed by scripts/setup) and skips,
// saying so, where no browser is installed.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "support/files.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::testing::run_llmbench;
using llmbench::testing::slurp;
using llmbench::testing::TempDir;

namespace {

constexpr const char* k_chromium = "/usr/bin/chromium";

// Runs a small suite (two targets, one with injected faults) and returns report.html's path.
std::string make_report(const TempDir& dir) {
  const auto suite = dir.write("suite.toml", R"(
[suite]
name = "html"
[load]
mode = "concurrency"
concurrency = 4
requests = 60
[[targets]]
name = "a"
provider = "mock"
mock = { ttft = "5ms", itl = "1ms", output_tokens = 6 }
[[targets]]
name = "b"
provider = "mock"
mock = { ttft = "9ms", itl = "1ms", output_tokens = 6, seed = 3, faults = { server_error = 0.1 } }
[[prompts]]
id = "p"
messages = [{ role = "user", content = "hi" }]
[slo]
ttft_p95_ms = 7
)");
  const auto r = run_llmbench({"--db", dir.file("runs.db"), "run", suite, "--out",
                               dir.file("report"), "--format", "html,md"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir.file("report") + "/report.html";
}

// The Markdown headings ("## x", "### y") of report.md.
std::vector<std::string> markdown_headings(const std::string& md) {
  std::vector<std::string> out;
  std::istringstream lines(md);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("## ") || line.starts_with("### ")) {
      out.push_back(line.substr(line.find(' ') + 1));
    }
  }
  return out;
}

std::string html_text(const std::string& s) {
  std::string out;
  for (const char c : s) {
    out += c == '&'   ? std::string("&amp;")
           : c == '<' ? std::string("&lt;")
           : c == '>' ? std::string("&gt;")
           : c == '"' ? std::string("&quot;")
                      : std::string(1, c);
  }
  return out;
}

// Every heading of report.md is a heading of report.html, at the same level, with an
// anchor; and every row label of report.md's tables is in the page.
void expect_same_sections(const std::string& md, const std::string& html) {
  const auto headings = markdown_headings(md);
  EXPECT_GE(headings.size(), 3u) << md;
  for (const auto& h : headings) {
    const std::regex tag(
        "<h[23] id=\"[a-z0-9-]+\">" +
        std::regex_replace(html_text(h), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
        "</h[23]>");
    EXPECT_TRUE(std::regex_search(html, tag)) << "report.html lacks the heading \"" << h << "\"";
  }
  std::istringstream lines(md);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("| ") || line.starts_with("| ---") || line.starts_with("| |")) {
      continue;
    }
    const std::string label = line.substr(2, line.find(" |") - 2);
    if (!label.empty() && label.find('\\') == std::string::npos) {
      EXPECT_NE(html.find(html_text(label)), std::string::npos)
          << "report.html lacks the row \"" << label << "\"";
    }
  }
}

struct Browser {
  int exit_code = -1;
  std::string dom;
  std::string log;
  std::vector<std::string> urls;  // every URL the browser's network stack saw
};

Browser open_in_chromium(const std::string& page, const TempDir& dir,
                         const std::string& screenshot = "") {
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --disable-background-networking "
      "--disable-component-update --disable-sync --no-first-run --disable-default-apps "
      "--disable-extensions --enable-logging=stderr --v=0 --window-size=1000,2600";
  const std::string net = dir.file("net.json");
  std::filesystem::remove(net);
  const std::string cmd = std::string(k_chromium) + flags + " --log-net-log=" + net +
                          " --dump-dom file://" + page + " > " + dir.file("dom.html") + " 2> " +
                          dir.file("browser.log");
  Browser b;
  const int status = std::system(cmd.c_str());
  b.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  b.dom = slurp(dir.file("dom.html"));
  b.log = slurp(dir.file("browser.log"));
  const std::string netlog = slurp(net);
  static const std::regex k_url(R"re("url":"([^"]*)")re");
  for (std::sregex_iterator it(netlog.begin(), netlog.end(), k_url), end; it != end; ++it) {
    b.urls.push_back((*it)[1].str());
  }
  if (!screenshot.empty()) {
    const std::string shot = std::string(k_chromium) + flags + " --screenshot=" + screenshot +
                             " file://" + page + " > /dev/null 2>&1";
    EXPECT_EQ(std::system(shot.c_str()), 0);
  }
  return b;
}

// Chromium's own background traffic (updates, sign-in probes) is not the page's doing.
bool page_request(const std::string& url) {
  static const std::regex k_browser_hosts(
      R"(^https?://([a-z0-9.-]*\.)?(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)(/|$))");
  return !std::regex_search(url, k_browser_hosts) && !url.starts_with("file://");
}

}  // namespace

TEST(HtmlReport, IsSelfContained) {
  TempDir dir;
  const std::string html = slurp(make_report(dir));
  EXPECT_EQ(html.rfind("<!doctype html>", 0), 0u);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);  // no address of any kind
  EXPECT_EQ(html.find("https://"), std::string::npos);
  // Every chart has a title and axis labels with units.
  const auto count = [&](const std::string& s) {
    std::size_t n = 0;
    for (auto at = html.find(s); at != std::string::npos; at = html.find(s, at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_GE(count("<svg "), 6u);
  EXPECT_EQ(count("<svg "), count("<title id="));
  EXPECT_NE(html.find("TTFT (ms)"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"fail\"><td>ttft_p95_ms</td>"), std::string::npos)
      << html;  // b misses its ttft SLO
  EXPECT_NE(html.find("@media print"), std::string::npos);
}

TEST(HtmlReport, HasEverySectionOfTheMarkdownReport) {
  TempDir dir;
  const std::string html = slurp(make_report(dir));
  const std::string md = slurp(dir.file("report") + "/report.md");
  expect_same_sections(md, html);
  // Among them the figures the HTML once lacked.
  for (const char* text : {"TPOT", "goodput (requests/s meeting every latency SLO)", "p90",
                           "token counts", "first message", "How measured"}) {
    EXPECT_NE(html.find(text), std::string::npos) << text;
  }
}

TEST(HtmlReport, ARunWhereEverythingFailedLeadsWithItsErrorsAndDrawsNoEmptyCharts) {
  TempDir dir;
  const auto suite = dir.write("dead.toml", R"(
[suite]
name = "dead"
[load]
mode = "concurrency"
concurrency = 1
requests = 5
[[targets]]
name = "nobody"
provider = "openai"
model = "m"
base_url = "http://127.0.0.1:9/v1"
[[prompts]]
id = "p"
prompt = "hi"
)");
  const auto r = run_llmbench({"--db", dir.file("runs.db"), "run", suite, "--out",
                               dir.file("report"), "--format", "html,md"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  const std::string html = slurp(dir.file("report") + "/report.html");
  const std::string md = slurp(dir.file("report") + "/report.md");
  expect_same_sections(md, html);
  const auto failures = html.find("<h2 id=\"failures\">Failures</h2>");
  const auto target = html.find("<h2 id=\"nobody\">nobody</h2>");
  ASSERT_NE(failures, std::string::npos) << html;
  EXPECT_LT(failures, target);
  EXPECT_NE(html.find("is the server up on that port?"), std::string::npos);
  for (const char* empty : {"Latency percentiles", "Distributions", "Over time"}) {
    EXPECT_EQ(html.find(empty), std::string::npos) << empty;
  }
}

TEST(HtmlReport, LoadsInHeadlessChromiumWithoutErrorsOrNetwork) {
  if (!std::filesystem::exists(k_chromium)) {
    GTEST_SKIP() << "no browser at " << k_chromium
                 << "; scripts/setup installs Debian's chromium for this test";
  }
  TempDir dir;
  const std::string page = make_report(dir);
  const std::string screenshot = std::string(LLMBENCH_BUILD_DIR) + "/report-screenshot.png";
  const Browser b = open_in_chromium(page, dir, screenshot);
  ASSERT_EQ(b.exit_code, 0) << b.log;
  EXPECT_EQ(b.log.find(":CONSOLE"), std::string::npos) << b.log;  // no console messages
  for (const auto& url : b.urls) {
    EXPECT_FALSE(page_request(url)) << "the page requested " << url;
  }
  // The charts are in the rendered DOM with their series.
  for (const char* id : {"ttft-percentiles", "e2e-percentiles", "ttft-histogram-0",
                         "itl-histogram-1", "over-time", "tokens-over-time"}) {
    EXPECT_NE(b.dom.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  }
  EXPECT_NE(b.dom.find("data-series=\"a\""), std::string::npos);
  EXPECT_NE(b.dom.find("data-series=\"b\""), std::string::npos);
  EXPECT_NE(b.dom.find("data-series=\"errors (req/s)\""), std::string::npos);  // b's faults
  EXPECT_GT(std::filesystem::file_size(screenshot), 10'000u);

  // The checks can fail: a page that logs and fetches is caught.
  const auto bad = dir.write("bad.html",
                             "<!doctype html><img src=\"http://127.0.0.1:9/x.png\">"
                             "<script>console.error('boom')</script>");
  const Browser caught = open_in_chromium(bad, dir);
  EXPECT_NE(caught.log.find(":CONSOLE"), std::string::npos);
  EXPECT_TRUE(std::any_of(caught.urls.begin(), caught.urls.end(), page_request));
}
