// The web UI of `llmbench serve` in a real browser: headless Chromium (Debian's), driven by
// playwright-core. Started by tests/integration/test_serve_browser.cpp with a running service
// whose history holds at least two completed runs of suites "ui-base" and "ui-cand".
//
//   node serve_ui.mjs BASE_URL SCREENSHOT_DIR LIVE_RUN_ID
//
// Loads the runs list, filters it, opens a run (its framed HTML report), runs a compare,
// follows LIVE_RUN_ID (running when the script starts) until it completes, and checks that no
// request left the service's origin. Prints one line per step; exits 1 with the
// reason on the first failure. Screenshots of each page go to SCREENSHOT_DIR.

import { chromium } from "playwright-core";

const [base, shots, live] = process.argv.slice(2);
const executablePath = process.env.LLMBENCH_CHROMIUM || "/usr/bin/chromium";

function check(ok, what) {
  if (!ok) {
    throw new Error(what);
  }
  console.log("ok: " + what);
}

const browser = await chromium.launch({
  executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const origin = new URL(base).origin;
  const foreign = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.origin !== origin && u.protocol !== "data:") foreign.push(r.url());
  });
  const errors = [];
  page.on("response", (r) => {
    if (r.status() >= 400) errors.push(r.status() + " " + r.url());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });

  // The list.
  await page.goto(base + "/");
  const rows = page.locator("#runs tbody tr");
  check((await rows.count()) >= 2, "the runs list shows the runs");
  check((await page.title()).startsWith("Runs"), "the list page has its title");
  await page.selectOption("select[name=status]", "completed");
  await page.fill("input[name=suite]", "ui-base");
  await Promise.all([page.waitForURL(/suite=ui-base/), page.click("form.filters button")]);
  const filtered = await page.locator("#runs tbody tr").count();
  const suites = await page.locator("#runs tbody tr td:nth-child(2)").allTextContents();
  check(filtered >= 1 && suites.every((s) => s === "ui-base"), "filtering by suite keeps only that suite");
  await page.screenshot({ path: shots + "/list.png", fullPage: true });

  // A run.
  await Promise.all([page.waitForURL(/\/runs\//), page.locator("#runs tbody tr a").first().click()]);
  check((await page.locator("#status").textContent()) === "completed", "the run page shows its status");
  const frame = page.frameLocator("#report");
  await frame.locator("h1").first().waitFor();
  const reportText = await frame.locator("body").innerText();
  check(reportText.includes("ui-base"), "the run page frames the run's HTML report");
  check((await frame.locator("svg").count()) > 0, "the report draws its charts");
  await page.screenshot({ path: shots + "/run.png", fullPage: false });

  // A compare: from the run page's link, pick the other run as the base.
  await Promise.all([page.waitForURL(/\/compare/), page.click("#compare-link")]);
  const options = await page.locator("#base option").evaluateAll((os) =>
    os.map((o) => ({ value: o.value, text: o.textContent })));
  const cand = await page.locator("#cand").inputValue();
  const other = options.find((o) => o.value && o.value !== cand && o.text.includes("ui-cand"));
  check(cand !== "" && other !== undefined, "the compare page offers the runs to pick");
  await page.selectOption("#base", other.value);
  await Promise.all([page.waitForURL(/base=.*cand=|cand=.*base=/), page.click("#compare")]);
  const verdict = await page.locator("#verdict").innerText();
  check(verdict.includes("Gates:"), "the compare page gives the verdict: " + verdict.replace(/\s+/g, " "));
  const diff = page.frameLocator("#diff");
  await diff.locator("table").first().waitFor();
  const diffText = await diff.locator("body").innerText();
  check(diffText.toLowerCase().includes("ttft"), "the diff page compares TTFT");
  await page.screenshot({ path: shots + "/compare.png", fullPage: false });

  // Live progress: the running run's page updates in place, then shows its report.
  await page.goto(base + "/runs/" + live);
  const first = Number(await page.locator("#bar").getAttribute("value"));
  await page.waitForFunction(
      (v) => { const b = document.getElementById("bar"); return !b || Number(b.value) > v; },
      first, { timeout: 20000 });
  const later = await page.locator("#bar").count() ? Number(await page.locator("#bar").getAttribute("value")) : -1;
  check(later === -1 || later > first, "a running run's progress moves on the page (" + first + " -> " + later + ")");
  await page.screenshot({ path: shots + "/live.png", fullPage: false });
  await page.waitForFunction(
      () => document.getElementById("status")?.textContent === "completed", null, { timeout: 60000 });
  await page.frameLocator("#report").locator("h1").first().waitFor();
  check(true, "when it completes, the page reloads with its report");

  check(foreign.length === 0, "no request left the service's origin" +
        (foreign.length ? ": " + foreign.join(", ") : ""));
  check(errors.length === 0, "no script error" + (errors.length ? ": " + errors.join("; ") : ""));
} catch (e) {
  console.log("FAILED: " + e.message);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
