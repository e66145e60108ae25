// Browser tests of `pmhc serve`: headless Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core, with axe-core accessibility checks on every main page.
//
// Run by crates/pmhc-cli/tests/browser.rs (PMHC_TEST_BROWSER=1), which makes a fresh database with
// an administrator, starts the server, and passes everything through the environment:
//
//   BASE_URL         the running server, e.g. http://127.0.0.1:41234
//   PMHC_USER        an administrator's user name
//   PMHC_PASSWORD    its password
//   PMHC_DATASET     the Toronto persons-in-crisis CSV to upload
//   PMHC_MAPPING     the shipped mapping for it (toronto-pic)
//   PMHC_BIN         the pmhc binary, to compute the CLI's report for comparison
//   PMHC_DB          the server's database URL (for that CLI report)
//   SCREENSHOT_DIR   where the full-page PNG screenshots go
//   PMHC_CHROMIUM    the Chromium binary (default /usr/bin/chromium)
//
// Exits 0 when everything passed; otherwise prints each failure and exits 1.

import { chromium } from "playwright-core";
import { createHmac } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const AXE = path.join(here, "node_modules", "axe-core", "axe.min.js");

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`browser tests: the environment variable ${name} is not set`);
    process.exit(2);
  }
  return v;
}

const BASE = need("BASE_URL").replace(/\/$/, "");
const USER = need("PMHC_USER");
const PROVIDER_USER = need("PMHC_PROVIDER_USER");
const PROVIDER_SERVICE_LABEL = "Crisis Receiving Centre (County Clinic; Crisis centre)";
const PASSWORD = need("PMHC_PASSWORD");
const DATASET = need("PMHC_DATASET");
const MAPPING = process.env.PMHC_MAPPING || "toronto-pic";
const PMHC_BIN = need("PMHC_BIN");
const PMHC_DB = need("PMHC_DB");
const SHOTS = need("SCREENSHOT_DIR");
const CHROMIUM = process.env.PMHC_CHROMIUM || "/usr/bin/chromium";
// The Toronto file spans 2014 and 2015 (month precision): one whole year against the next.
const BASELINE = process.env.PMHC_BASELINE || "2014-01-01..2014-12-31";
const COMPARISON = process.env.PMHC_COMPARISON || "2015-01-01..2015-12-31";
// The measures whose sentences the dashboard must show exactly as the CLI says them.
const KEY_MEASURES = ["referral", "arrest", "any_force", "repeat_people"];

for (const [what, p] of [["axe-core", AXE], ["the dataset", DATASET], ["pmhc", PMHC_BIN], ["Chromium", CHROMIUM]]) {
  if (!existsSync(p)) {
    console.error(`browser tests: ${what} is missing at ${p}`);
    process.exit(2);
  }
}
mkdirSync(SHOTS, { recursive: true });
const AXE_SOURCE = readFileSync(AXE, "utf8");

const started = Date.now();
const failures = [];
const warnings = [];
const a11y = []; // { page, id, impact, help, url, nodes: [target…] }
const shots = [];

function log(msg) {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[browser ${s}s] ${msg}`);
}
function fail(msg) {
  failures.push(msg);
  console.log(`FAIL: ${msg}`);
}
function warn(msg) {
  warnings.push(msg);
  console.log(`WARN: ${msg}`);
}
function check(cond, msg) {
  if (!cond) fail(msg);
  return !!cond;
}
const squash = (s) => String(s ?? "").replace(/\s+/g, " ").trim();

/// The CLI's report (JSON) for the same periods and filters as a page shows.
function cliReport(extra = []) {
  const out = execFileSync(
    PMHC_BIN,
    ["--database", PMHC_DB, "report", "--baseline", BASELINE, "--comparison", COMPARISON, "--format", "json", ...extra],
    { env: { ...process.env, PMHC_LOG: "error" }, maxBuffer: 64 << 20 },
  );
  return JSON.parse(out.toString("utf8"));
}

/// Console errors and uncaught exceptions of every page are failures, except those a test
/// provokes on purpose (set `expectNetErrors` while the browser is offline).
let expectNetErrors = false;
let expectHttpErrors = false;
// Browsers ask for /favicon.ico on their own; pmhc has none (a warning, not a failure).
let favicon404 = false;
function watch(page, label) {
  page.on("pageerror", (e) => fail(`${label}: uncaught JavaScript error on ${page.url()}: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const text = m.text();
    if (expectNetErrors && /ERR_INTERNET_DISCONNECTED|Failed to fetch|net::ERR_/.test(text)) return;
    // A 4xx the test asked for is checked by the test itself; anything else is a failure.
    if (expectHttpErrors && /status of 4\d\d/.test(text)) return;
    if (/status of 404/.test(text) && m.location()?.url?.endsWith("/favicon.ico")) return;
    fail(`${label}: console error on ${page.url()}: ${text}`);
  });
  page.on("requestfailed", (r) => {
    // A navigation aborts the requests of the page it leaves (e.g. the body of a fetch the
    // script did not read before going to the saved encounter's page).
    if (expectNetErrors || r.failure()?.errorText === "net::ERR_ABORTED") return;
    fail(`${label}: request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
  });
  page.on("response", (r) => {
    const u = new URL(r.url());
    if (r.status() >= 500) fail(`${label}: ${r.status()} from ${r.request().method()} ${r.url()}`);
    else if (r.status() === 404 && u.pathname === "/favicon.ico") favicon404 = true;
    else if (r.status() >= 400 && !expectHttpErrors) fail(`${label}: ${r.status()} from ${r.request().method()} ${r.url()}`);
  });
}

async function shot(page, name) {
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  shots.push(file);
  log(`screenshot ${file}`);
}

/// Run axe-core on the page as it is; serious and critical violations fail the run, the others
/// are printed.
async function axe(page, label) {
  // Not page.addScriptTag: pmhc's Content-Security-Policy (script-src 'self') rightly blocks an
  // injected inline script. The DevTools protocol's evaluation is not subject to the page's CSP.
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      url: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary, html: n.html })),
    }));
  });
  let bad = 0;
  for (const v of result) {
    const serious = v.impact === "serious" || v.impact === "critical";
    if (serious) bad++;
    a11y.push({ page: label, serious, ...v });
    const head = `${serious ? "A11Y" : "a11y"} [${v.impact}] ${label}: ${v.id}: ${v.help} (${v.nodes.length} element(s)) ${v.url}`;
    console.log(head);
    for (const n of v.nodes.slice(0, 5)) {
      console.log(`    at ${n.target}\n       ${squash(n.html).slice(0, 200)}\n       ${squash(n.summary).slice(0, 400)}`);
    }
    if (v.nodes.length > 5) console.log(`    … and ${v.nodes.length - 5} more`);
  }
  log(`axe on ${label}: ${result.length} violation(s), ${bad} serious or critical`);
}

/// Choose a precinct on the dashboard and wait until the script has shown its results (the
/// address is updated right after the results are replaced).
async function liveFilter(page, precinct) {
  await page.selectOption("select[name=precinct]", precinct);
  await page.waitForFunction((p) => new URLSearchParams(location.search).get("precinct") === p, precinct, { timeout: 30_000 });
  await page.waitForFunction(() => !document.getElementById("results")?.hasAttribute("aria-busy"));
}

// The second sign-in factor, as an authenticator app computes it (RFC 6238: HMAC-SHA-1, 30 s,
// six digits). The key is read off the enrolment page at the first sign-in.
const totpKeys = new Map();
const totpLastSteps = new Map();

function base32Decode(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, "").toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function totpCode(key, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac("sha1", base32Decode(key)).update(msg).digest();
  const o = h[h.length - 1] & 0xf;
  const bin = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(bin % 1_000_000).padStart(6, "0");
}

/// A code of a step not used before (the server takes each step once, one step of drift either
/// way); the current step first, so a request that reaches the server in the next step still passes.
async function nextCode(user) {
  let step;
  for (;;) {
    const now = Math.floor(Date.now() / 1000 / 30);
    step = Math.max(now, (totpLastSteps.get(user) || 0) + 1);
    if (step <= now + 1) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  totpLastSteps.set(user, step);
  return totpCode(totpKeys.get(user), step);
}

async function signIn(page, label, user = USER, password = PASSWORD, base = BASE) {
  await page.goto(`${base}/sign-in`);
  await page.fill("#username", user);
  await page.fill("#password", password);
  await page.check("#acknowledge");
  await Promise.all([page.waitForURL((u) => u.pathname === "/" || u.pathname.startsWith("/sign-in/second-factor")), page.getByRole("button", { name: "Sign in" }).click()]);
  if (new URL(page.url()).pathname === "/") {
    // Roles that read no records (a workgroup member) sign in with the password alone.
    check(squash(await page.textContent("h1")) === "Outcomes", `${label}: after signing in the dashboard shows, not ${page.url()}`);
    return;
  }
  if (await page.locator("#totp-secret").count()) {
    check(await page.locator("#totp-qr svg").count() === 1, `${label}: the enrolment page shows a QR code`);
    await axe(page, `${label} second-factor enrolment`);
    await shot(page, `${label}-second-factor-enrolment`);
    totpKeys.set(user, squash(await page.textContent("#totp-secret")));
  }
  check(totpKeys.has(user), `${label}: a key was enrolled`);
  await page.fill("#totp-code", await nextCode(user));
  await Promise.all([page.waitForURL(`${base}/`), page.locator("form[action='/sign-in/second-factor'] button").click()]);
  check(squash(await page.textContent("h1")) === "Outcomes", `${label}: after signing in the dashboard shows, not ${page.url()}`);
}

/// The dashboard's (or public page's) results against the CLI's report for the same periods and
/// filters: every measure's sentence word for word (the four key outcomes' first), and the
/// periods' encounter counts and each rate's numerator and denominator shown.
async function compareResults(page, label, report) {
  const text = squash(await page.locator("#results").innerText());
  const changes = report?.changes || {};
  check(KEY_MEASURES.every((m) => typeof changes[m]?.sentence === "string"), `${label}: the CLI report has a sentence for each of ${KEY_MEASURES.join(", ")}`);
  const ids = [...KEY_MEASURES, ...Object.keys(changes).filter((m) => !KEY_MEASURES.includes(m))];
  let same = 0;
  for (const m of ids) {
    const sentence = changes[m]?.sentence;
    if (typeof sentence !== "string") continue;
    if (check(text.includes(squash(sentence)), `${label}: #results lacks the CLI's ${m} sentence: "${sentence}"`)) same++;
  }
  const shows = (n) => [String(n), n.toLocaleString("en-US")].some((f) => text.includes(f));
  let numbers = 0;
  for (const p of ["baseline", "comparison"]) {
    const period = report?.periods?.[p];
    if (check(typeof period?.encounters === "number", `${label}: the CLI report has the ${p} period's encounters`)) {
      if (check(shows(period.encounters), `${label}: the ${p} period's ${period.encounters} encounters are not shown in #results`)) numbers++;
    }
    for (const [m, v] of Object.entries(period?.measures || {})) {
      for (const k of ["numerator", "denominator"]) {
        if (typeof v?.[k] !== "number") continue;
        if (check(shows(v[k]), `${label}: the ${p} period's ${m} ${k} (${v[k]}) is not shown in #results`)) numbers++;
      }
    }
  }
  log(`${label}: ${same} of ${ids.length} measure sentences and ${numbers} counts as the CLI gives them (baseline ${report.periods?.baseline?.encounters} encounters, comparison ${report.periods?.comparison?.encounters})`);
}

// ---- The sweep: every page once per width, as a role that may open it ---------------------

const DEMO = (process.env.DEMO_URL || "").replace(/\/$/, "");
// The servers' today (the tests' one clock: PMHC_NOW when set), as YYYY-MM-DD.
const TODAY = process.env.PMHC_TODAY || new Date().toISOString().slice(0, 10);
const dayAfter = (day, n) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);
// "coordinator=coord,administrator=boss,…": the demo jurisdiction's users by role.
const DEMO_USERS = Object.fromEntries((process.env.DEMO_USERS || "").split(",").filter(Boolean).map((kv) => kv.split("=")));

/// How many pixels the page is wider than the viewport the test set. Not `innerWidth`: a phone
/// browser widens its layout viewport to fit a page that is too wide, and zooms out.
async function tooWide(page) {
  return page.evaluate((w) => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - w, page.viewportSize().width);
}

/// What every page must be at every width: no sideways scroll of the body, no chart wider than
/// its box (a chart scales; only tables scroll, inside a focusable region), no debug text.
async function layoutChecks(page, label) {
  const wide = await tooWide(page);
  if (wide > 0) {
    // Name the widest elements that stick out, innermost first, to say what to fix.
    const culprits = await page.evaluate((w) => {
      const out = [];
      for (const el of document.querySelectorAll("body *")) {
        const r = el.getBoundingClientRect();
        const inScroller = (e) => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) if (getComputedStyle(p).overflowX !== "visible") return true; return false; };
        if (r.right > w + 1 && !inScroller(el) && ![...el.children].some((c) => c.getBoundingClientRect().right > w + 1)) {
          out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : ""} (right edge ${Math.round(r.right)} px)`);
        }
      }
      return out.slice(0, 6);
    }, page.viewportSize().width);
    fail(`${label}: the page scrolls sideways (${wide} px too wide): ${culprits.join(", ")}`);
  }
  const clipped = await page.evaluate((width) => {
    const out = [];
    for (const svg of document.querySelectorAll("main svg[role=img]")) {
      const r = svg.getBoundingClientRect();
      if (r.width === 0 || svg.closest(".table-wrap")) continue;
      const name = (svg.querySelector("title")?.textContent || svg.getAttribute("class") || "a chart").slice(0, 60);
      const box = svg.parentElement.getBoundingClientRect();
      if (r.right > box.right + 1 || r.left < box.left - 1 || r.right > width + 1) {
        out.push(`"${name}" is ${Math.round(r.width)} px wide in a ${Math.round(box.width)} px box`);
      }
    }
    for (const el of document.querySelectorAll("main *")) {
      const cs = getComputedStyle(el);
      if (["auto", "scroll"].includes(cs.overflowX) && el.scrollWidth > el.clientWidth + 1 && el.tabIndex < 0 && !el.querySelector("a,button,input,select,textarea,[tabindex]")) {
        out.push(`a region that scrolls sideways keyboard users cannot reach (${el.tagName.toLowerCase()}.${el.className})`);
      }
    }
    return out;
  }, page.viewportSize().width);
  for (const c of clipped) fail(`${label}: ${c}`);
  const text = await page.locator("main").innerText();
  const debug = text.match(/\b(Some|None)\(|[A-Z][a-zA-Z]+ \{ [a-z_]+: |\bundefined\b|\bNaN\b|\[object Object\]/);
  check(!debug, `${label}: debug text on the page: "${debug?.[0]}"`);
}

/// A context at a width: a desk (1280) or a phone (375, touch, mobile user agent).
async function contextAt(width) {
  const phone = width < 600;
  const c = await browser.newContext({
    viewport: { width, height: phone ? 812 : 900 },
    ...(phone ? { isMobile: true, hasTouch: true, userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36" } : {}),
    locale: "en-CA",
    timezoneId: "America/Toronto",
  });
  c.setDefaultTimeout(30_000);
  return c;
}

const slug = (href) => (href === "/" ? "dashboard" : href.replace(/^\//, "").replace(/[^a-z0-9]+/gi, "-"));

async function sweep() {
  for (const [width, order] of [
    [1280, ["coordinator", "administrator", "public"]],
    [375, ["clinician", "workgroup member", "coordinator", "administrator", "public"]],
  ]) {
    const visited = new Set();
    for (const role of order) {
      step = `sweep at ${width} px as ${role}`;
      const ctx = await contextAt(width);
      const page = await ctx.newPage();
      watch(page, `${role} at ${width}`);
      if (role === "public") await page.goto(`${DEMO}/public`);
      else await signIn(page, `${role} at ${width}`, DEMO_USERS[role], PASSWORD, DEMO);
      const menu = await page.locator("#menu a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
      check(menu.length > 0, `${role}: a menu`);
      for (const href of menu) {
        if (visited.has(href)) continue;
        visited.add(href);
        const label = `${href} at ${width} px as ${role}`;
        const r = await page.goto(`${DEMO}${href}`);
        check(r.status() === 200, `${label}: answers ${r.status()}`);
        check(new URL(page.url()).pathname === href, `${label}: went to ${page.url()}`);
        // The dashboard answers in place: wait until its results are there.
        await page.waitForFunction(() => !document.getElementById("results")?.hasAttribute("aria-busy"));
        await layoutChecks(page, label);
        await axe(page, label);
        await shot(page, `sweep-${width}-${slug(href)}-${role.replace(/ /g, "-")}`);
      }
      await ctx.close();
    }
    log(`sweep at ${width} px: ${visited.size} pages (${[...visited].join(" ")})`);
    check(visited.size >= 15, `at ${width} px every page of the menu was visited (${visited.size})`);
  }
}

/// The demo's 2,000+ referrals on a phone, as the receiving provider's clinician: paged, filtered,
/// exported and acted on.
async function referralsAtScale() {
  step = "referrals at scale on a phone";
  const ctx = await contextAt(375);
  const page = await ctx.newPage();
  watch(page, "referrals at scale");
  await signIn(page, "clinician, referrals", DEMO_USERS.clinician, PASSWORD, DEMO);
  await page.goto(`${DEMO}/referrals`);
  const count = squash(await page.textContent("#referral-count"));
  const total = Number((count.match(/ of ([\d,]+)/) || [])[1]?.replace(/,/g, ""));
  check(total >= 2000, `the demo has 2,000 referrals or more for the clinic (${count})`);
  check((await page.locator("#referrals tbody tr").count()) === 50, "one page of 50");
  await Promise.all([page.waitForURL(/offset=50/), page.getByRole("link", { name: "Older →" }).tap()]);
  check(squash(await page.textContent("#referral-count")).startsWith("Referrals 51–100"), "the second page");
  // Filtered: those waiting for the clinic's answer.
  // On a phone the filters fold away until opened, so the list comes first.
  check(!(await page.locator("#referral-filters details.fold").evaluate((d) => d.open)), "the filters start folded on a phone");
  await page.locator("#referral-filters summary").tap();
  await page.selectOption("select[name=state]", "sent");
  await Promise.all([page.waitForURL(/state=sent/), page.getByRole("button", { name: "Show" }).tap()]);
  const waiting = Number((squash(await page.textContent("#referral-count")).match(/ of ([\d,]+)/) || [, "0"])[1].replace(/,/g, ""))
    || (await page.locator("#referrals tbody tr").count());
  const states = await page.locator("#referrals tbody td.state").allInnerTexts();
  check(states.length > 0 && states.every((t) => squash(t) === "Sent"), `the filter shows sent referrals only (${[...new Set(states)].join(", ")})`);
  // Exported: the same referrals as CSV.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download these as CSV" }).tap()]);
  const csv = readFileSync(await download.path(), "utf8").trim().split("\n");
  check(csv.length - 1 === waiting, `the CSV holds the ${waiting} filtered referrals (${csv.length - 1} rows)`);
  // Acted on: accepted on the phone, the button within reach.
  const row = page.locator("#referrals tbody tr").first();
  const id = await row.getAttribute("id");
  const button = row.getByRole("button", { name: "Accept", exact: true });
  const box = await button.boundingBox();
  check(box && box.x >= 0 && box.x + box.width <= 375 && box.height >= 24, `the Accept button is on the screen and big enough (${JSON.stringify(box)})`);
  await Promise.all([page.waitForURL(/done=\d+/), button.tap()]);
  // Back on the same filtered page, saying what happened (the referral is no longer "sent").
  check(new URL(page.url()).searchParams.get("state") === "sent", `the list comes back with its filter (${page.url()})`);
  check(await page.locator("#referral-filters details.fold").evaluate((d) => d.open), "a filter that is set keeps the filters open");
  const done = squash(await page.textContent("#referral-done"));
  check(done === `Referral #${id.replace("referral-", "")} is now accepted.`, `the list says what was done: ${done}`);
  await layoutChecks(page, "referrals at scale (phone)");
  await shot(page, "sweep-375-referrals-accepted");
  await ctx.close();
}

/// The workgroup: the coordinator links a member to an account and adds an action item to the
/// oldest meeting (refused first with its due day before the meeting: the message beside the field,
/// what was typed kept), at 1280 px; the member finds it overdue on a phone, marks it done with a
/// note, and reads the printable meeting page at 375 px.
async function workgroupMeetingAndActions() {
  step = "workgroup: a meeting and its action items";
  const desk = await contextAt(1280);
  const page = await desk.newPage();
  watch(page, "workgroup (coordinator)");
  await signIn(page, "coordinator, workgroup", DEMO_USERS.coordinator, PASSWORD, DEMO);
  await page.goto(`${DEMO}/workgroup`);
  check(squash(await page.textContent("main")).includes("fewer than 3"), "the representation table shows a small group as fewer than 3");
  await page.getByRole("link", { name: "Helen Park" }).click();
  await page.getByText("Change Helen Park's membership").click();
  await page.fill("#m-username", DEMO_USERS["workgroup member"]);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.locator("#member-form").getByRole("button", { name: "Save" }).click()]);
  check(squash(await page.textContent("main")).includes("Helen Park is saved."), "the member is linked to the account");
  await page.goto(`${DEMO}/workgroup/meetings`);
  const rows = page.locator("#meetings tbody tr");
  const oldest = rows.last();
  const day = squash(await oldest.locator("td").first().textContent());
  await Promise.all([page.waitForURL(/\/workgroup\/meetings\/\d+$/), oldest.getByRole("link").click()]);
  const meetingUrl = page.url();
  await page.getByText("Add an action item").click();
  const text = "Browser test: bring the housing authority to the table";
  await page.fill("#a-text", text);
  await page.selectOption("#a-owner", { label: "Helen Park" });
  const before = new Date(Date.parse(day) - 86400000).toISOString().slice(0, 10);
  await page.fill("#a-due", before);
  expectHttpErrors = true; // the refusal answers 422
  await Promise.all([
    page.waitForResponse((r) => /\/workgroup\/meetings\/\d+\/actions$/.test(new URL(r.url()).pathname) && r.request().method() === "POST"),
    page.getByRole("button", { name: "Add the action item" }).click(),
  ]);
  await page.waitForLoadState("load");
  await page.waitForTimeout(200);
  expectHttpErrors = false;
  const error = squash(await page.textContent("#a-due-error").catch(() => ""));
  check(error.includes("before the meeting it comes from"), `a due day before the meeting is refused beside the field (${error})`);
  check((await page.inputValue("#a-text")) === text, "what was typed is kept after the refusal");
  await layoutChecks(page, "meeting page, refused action item (1280)");
  await axe(page, "meeting page, refused action item");
  await shot(page, "workgroup-1280-meeting-refused");
  const due = new Date(Date.parse(day) + 7 * 86400000).toISOString().slice(0, 10);
  await page.fill("#a-due", due);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.getByRole("button", { name: "Add the action item" }).click()]);
  check(squash(await page.textContent("main")).includes("added, due"), "the action item is added");
  await shot(page, "workgroup-1280-meeting");
  await desk.close();

  const phone = await contextAt(375);
  const mob = await phone.newPage();
  watch(mob, "workgroup (member)");
  await signIn(mob, "member, action items", DEMO_USERS["workgroup member"], PASSWORD, DEMO);
  await mob.goto(`${DEMO}/workgroup/actions`);
  const item = mob.locator("article.action", { hasText: text });
  check((await item.count()) === 1 && (await item.getAttribute("class")).includes("overdue"), "the member's new action item is overdue");
  check(squash(await item.textContent()).includes("(you)"), "marked as the member's own");
  await layoutChecks(mob, "action items (375)");
  await axe(mob, "action items (phone)");
  await shot(mob, "workgroup-375-actions");
  await item.locator("select[name=status]").selectOption("done");
  await item.locator("textarea[name=note]").fill("Called the housing authority; they join next month.");
  await Promise.all([mob.waitForURL(/done=\d+/), item.getByRole("button").click()]);
  const done = mob.locator("article.action", { hasText: text });
  check(squash(await done.textContent()).includes("Done"), "the action item is done");
  check((await mob.locator("article.action.overdue", { hasText: text }).count()) === 0, "no longer overdue");
  await mob.goto(meetingUrl);
  check(squash(await mob.textContent("main")).includes("Minutes"), "the meeting page shows its minutes");
  await layoutChecks(mob, "meeting page (375)");
  await axe(mob, "meeting page (phone)");
  await shot(mob, "workgroup-375-meeting");
  await mob.emulateMedia({ media: "print" });
  check(!(await mob.locator("header.top").isVisible()), "the printed meeting page has no menu");
  await phone.close();
}

/// The sharing form keeps what was typed through a validation error and a password re-check.
async function sharingSurvivesReauth() {
  step = "the sharing form through a re-authentication";
  const ctx = await contextAt(1280);
  const page = await ctx.newPage();
  watch(page, "sharing");
  await signIn(page, "administrator, sharing", DEMO_USERS.administrator, PASSWORD, DEMO);
  await page.goto(`${DEMO}/sharing`);
  const fill = async (expires) => {
    await page.fill("#a-title", "Crisis follow-up (browser)");
    await page.selectOption("#a-recipient", { label: "County Behavioral Health (demo)" });
    await page.locator("#a-groups input[value=incident_details]").check();
    await page.locator("#a-groups input[value=area_and_time]").check();
    await page.fill("#a-basis", "MOU section 4");
    await page.fill("#a-from", TODAY);
    await page.fill("#a-to", expires);
  };
  const kept = async (where) => {
    check((await page.inputValue("#a-title")) === "Crisis follow-up (browser)", `${where}: the title is kept`);
    check((await page.inputValue("#a-basis")) === "MOU section 4", `${where}: the legal basis is kept`);
    check(await page.locator("#a-groups input[value=area_and_time]").isChecked(), `${where}: the field groups are kept`);
  };
  // A validation error (it ends before it starts): the form comes back as typed.
  await fill(dayAfter(TODAY, -1));
  expectHttpErrors = true;
  const posted = (r) => new URL(r.url()).pathname === "/sharing/agreements" && r.request().method() === "POST";
  await Promise.all([page.waitForResponse(posted), page.getByRole("button", { name: "Propose the agreement" }).click()]);
  await page.waitForLoadState("load");
  await page.waitForSelector("#agreement-form");
  expectHttpErrors = false;
  check((await page.locator(".error[role=alert]").count()) > 0, "a refused agreement says why");
  await kept("after a validation error");
  // The password was entered more than 5 minutes ago: the change asks for it again.
  writeFileSync(process.env.PMHC_AGE_REQUEST, "age");
  for (let i = 0; i < 100 && !existsSync(process.env.PMHC_AGED); i++) await new Promise((r) => setTimeout(r, 100));
  check(existsSync(process.env.PMHC_AGED), "the test aged the sign-in");
  unlinkSync(process.env.PMHC_AGED);
  await page.fill("#a-to", dayAfter(TODAY, 365));
  await Promise.all([page.waitForSelector("#confirm-password"), page.getByRole("button", { name: "Propose the agreement" }).click()]);
  await shot(page, "sweep-1280-sharing-confirm-password");
  await axe(page, "confirm password");
  await page.fill("#reauth-password", PASSWORD);
  await Promise.all([page.waitForResponse(posted), page.getByRole("button", { name: "Confirm and make the change" }).click()]);
  await page.waitForLoadState("load");
  const said = squash(await page.locator("main").innerText());
  check(/(Proposed|Recorded) agreement #\d+ \(Crisis follow-up \(browser\)\)/.test(said), `after the password the agreement is made with what was typed: ${said.slice(0, 300)}`);
  check(squash(await page.locator("#all-agreements").innerText()).includes("Crisis follow-up (browser)"), "the agreement is listed");
  await ctx.close();
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ],
});
log(`Chromium ${browser.version()} against ${BASE}`);

// A whole-run guard: a hung page must not hang CI.
const guard = setTimeout(() => {
  console.error("browser tests: gave up after 11 minutes");
  process.exit(1);
}, 11 * 60 * 1000);

let step = "start";
try {
  // axe itself works here: a page with known violations must be reported as such.
  step = "axe self-test";
  {
    const probe = await browser.newPage();
    await probe.setContent('<html lang="en"><title>t</title><main><img src="data:,"><input type="text"><a href="#"></a></main></html>');
    await probe.evaluate(AXE_SOURCE);
    const ids = await probe.evaluate(async () => (await axe.run(document)).violations.map((v) => `${v.id}:${v.impact}`));
    check(ids.some((i) => i.startsWith("image-alt:critical")) && ids.some((i) => i.startsWith("label:critical")), `axe-core reports known violations (${ids.join(", ")})`);
    log(`axe-core self-test: ${ids.join(", ")}`);
    await probe.close();
  }

  // ---- Desktop: sign in, import, dashboard against the CLI, every page ----------------------
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-CA", timezoneId: "America/Toronto" });
  desk.setDefaultTimeout(30_000);
  const page = await desk.newPage();
  watch(page, "desktop");

  step = "sign-in page";
  await page.goto(`${BASE}/`);
  check(page.url().startsWith(`${BASE}/sign-in`), `an anonymous visit to / goes to the sign-in page, not ${page.url()}`);
  await shot(page, "01-sign-in");
  await axe(page, "sign-in");
  // A wrong password: an error on the page, no session.
  await page.fill("#username", USER);
  await page.fill("#password", "not the password");
  await page.check("#acknowledge");
  expectHttpErrors = true;
  await Promise.all([
    page.waitForResponse((r) => r.url().startsWith(`${BASE}/sign-in`) && r.request().method() === "POST"),
    page.getByRole("button", { name: "Sign in" }).click(),
  ]);
  await page.waitForLoadState("load");
  expectHttpErrors = false;
  check(page.url().includes("/sign-in"), "a wrong password stays on the sign-in page");
  check(await page.locator("[role=alert]").count() > 0, "a wrong password is explained on the page");

  step = "sign in";
  await signIn(page, "desktop");
  log("signed in");

  step = "upload the dataset";
  await page.goto(`${BASE}/imports`);
  const options = await page.locator("#mapping option").evaluateAll((os) => os.map((o) => o.value));
  check(options.includes(MAPPING), `the import page offers the ${MAPPING} mapping (it offers ${options.join(", ")})`);
  await page.setInputFiles("#file", DATASET);
  await page.selectOption("#mapping", MAPPING);
  await Promise.all([
    page.waitForURL(/\/imports\/\d+$/, { timeout: 120_000 }),
    page.getByRole("button", { name: "Import" }).click(),
  ]);
  const importUrl = page.url();
  log(`uploaded ${path.basename(DATASET)}; the import's page is ${importUrl}`);
  step = "wait for the import";
  await page.waitForFunction(
    () => ["complete", "partial", "failed"].includes((document.getElementById("import-state")?.textContent || "").trim()),
    null,
    { timeout: 180_000, polling: 500 },
  );
  const state = squash(await page.textContent("#import-state"));
  check(state === "complete", `the Toronto import ends complete, not ${state}`);
  const rows = readFileSync(DATASET, "utf8").split("\n").filter((l) => l.length > 0).length - 1;
  const received = Number(squash(await page.textContent("#received")).replace(/,/g, ""));
  const inserted = Number(squash(await page.textContent("#inserted")).replace(/,/g, ""));
  check(received === rows, `the import read ${received} rows; the file has ${rows}`);
  check(inserted > 0 && inserted <= rows, `the import made ${inserted} new encounters`);
  check(squash(await page.locator("#import-status").innerText()).includes(path.basename(DATASET)), "the import page names the file");
  log(`import ${state}: ${received} rows read, ${inserted} new encounters`);
  await shot(page, "03-import-result");
  await axe(page, "import result");

  step = "imports page";
  await page.goto(`${BASE}/imports`);
  check((await page.locator("table").innerText()).includes(path.basename(DATASET)), "the import history lists the file");
  await shot(page, "02-imports");
  await axe(page, "imports");

  step = "dashboard";
  await page.goto(`${BASE}/`);
  await page.fill("input[name=baseline]", BASELINE);
  await page.fill("input[name=comparison]", COMPARISON);
  const report = cliReport();
  const firstSentence = report.changes.referral.sentence;
  await page.getByRole("button", { name: "Show" }).click();
  // The script answers in place (no page load) and puts the filters in the address.
  await page.waitForFunction((b) => new URLSearchParams(location.search).get("baseline") === b, BASELINE, { timeout: 30_000 });
  await page.waitForFunction(() => !document.getElementById("results")?.hasAttribute("aria-busy"));
  await page.waitForFunction((s) => (document.getElementById("results")?.innerText || "").replace(/\s+/g, " ").includes(s), squash(firstSentence), { timeout: 30_000 });
  await compareResults(page, "dashboard (live filter)", report);
  // One precinct: the live filter against `pmhc report --precinct`.
  const precincts = await page.locator("select[name=precinct] option").evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  check(precincts.length > 1, `the dashboard offers the Toronto divisions as precincts (${precincts.join(", ")})`);
  if (precincts.length > 1) {
    const division = precincts.includes("D51") ? "D51" : precincts[0];
    await liveFilter(page, division);
    await compareResults(page, `dashboard (precinct ${division})`, cliReport(["--precinct", division]));

    step = "dashboard: filters changed quickly";
    // The answer for the first choice comes late (a slow network); the page must end up showing
    // the last choice, not whichever answer arrived last.
    const [slow, fast] = precincts.filter((p) => p !== division).slice(0, 2);
    const isFragment = (u, p) => u.searchParams.get("fragment") === "1" && u.searchParams.get("precinct") === p;
    await page.route((u) => isFragment(u, slow), async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue().catch(() => {});
    });
    // The late answer either arrives (and must be ignored) or is abandoned by the script.
    const slowDone = Promise.race([
      page.waitForResponse((r) => isFragment(new URL(r.url()), slow), { timeout: 15_000 }),
      page.waitForEvent("requestfailed", { predicate: (r) => isFragment(new URL(r.url()), slow), timeout: 15_000 }),
    ]).catch(() => null);
    await page.selectOption("select[name=precinct]", slow);
    await page.waitForRequest((r) => isFragment(new URL(r.url()), slow));
    await liveFilter(page, fast);
    await slowDone;
    await page.waitForTimeout(300);
    await page.unroute((u) => isFragment(u, slow));
    const shown = squash(await page.locator("#results").innerText());
    const want = cliReport(["--precinct", fast]).periods.comparison.encounters;
    const other = cliReport(["--precinct", slow]).periods.comparison.encounters;
    const selected = await page.inputValue("select[name=precinct]");
    const showsFast = shown.includes(String(want)) || shown.includes(want.toLocaleString("en-US"));
    const showsSlow = shown.includes(String(other)) || shown.includes(other.toLocaleString("en-US"));
    if (!(selected === fast && showsFast && !showsSlow) || !page.url().includes(`precinct=${fast}`)) {
      // app.js drops answers to earlier questions (a sequence number and AbortController).
      fail(`dashboard: "${fast}" is selected but a late answer for "${slow}" replaced the results (comparison encounters shown: ${showsSlow ? other : "?"}, expected ${want}; address ${page.url()})`);
    } else {
      log("dashboard: a late answer for an earlier filter does not replace the current one");
    }
  }
  step = "dashboard: a named period";
  // Choosing the published periods from the list answers them, and the date inputs say so.
  await page.fill("input[name=baseline]", "2015-01-01..2015-03-31");
  await page.selectOption("select[name=preset]", "published");
  await page.waitForFunction((b) => document.querySelector("input[name=baseline]").value === b, BASELINE, { timeout: 30_000 })
    .catch(() => fail(`dashboard: the published periods chosen, the baseline input still says ${"2015-01-01..2015-03-31"}`));
  check((await page.inputValue("input[name=comparison]")) === COMPARISON, "dashboard: the comparison input shows the published comparison");
  await page.waitForFunction(() => !document.getElementById("results")?.hasAttribute("aria-busy"));
  // The same periods loaded directly (server-rendered, no script involved).
  await page.goto(`${BASE}/?baseline=${BASELINE}&comparison=${COMPARISON}`);
  check((await page.inputValue("input[name=baseline]")) === BASELINE, "the dashboard keeps the baseline in its form");
  await compareResults(page, "dashboard (server-rendered)", report);
  await shot(page, "04-dashboard");
  await axe(page, "dashboard");

  step = "public page";
  const anon = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const pub = await anon.newPage();
  watch(pub, "public");
  // The public page answers the published periods (browser.rs publishes BASELINE and COMPARISON).
  await pub.goto(`${BASE}/public`);
  check(pub.url().startsWith(`${BASE}/public`), `the public page needs no sign-in (went to ${pub.url()})`);
  check(squash(await pub.textContent("h1")) === "Public outcomes", "the public page's heading");
  await compareResults(pub, "public page", cliReport(["--public"]));
  await shot(pub, "05-public");
  await axe(pub, "public");
  await anon.close();

  step = "definitions, reports, users";
  for (const [p, name, heading] of [["/definitions", "09-definitions", "definitions"], ["/reports", "10-reports", "Reports"], ["/sharing", "11-sharing", "Sharing"], ["/consents", "12-consents", "Consents"], ["/resources", "14-resources", "Resource guide"], ["/intercepts", "15-intercepts", "Intercept map"], ["/gaps", "18-gaps", "Capacity and gaps"], ["/referrals", "19-referrals", "Referrals"], ["/users", "13-users", "Users"]]) {
    const r = await page.goto(`${BASE}${p}`);
    check(r.status() === 200, `${p} answers 200, not ${r.status()}`);
    check(squash(await page.textContent("h1")).includes(heading), `${p}: heading "${squash(await page.textContent("h1"))}", expected one with "${heading}"`);
    await shot(page, name);
    await axe(page, p);
  }
  check((await page.locator("table").first().innerText()).includes(USER), "the users page lists the administrator");

  // ---- Training coverage: the page against the CLI's computation of the same day ------------
  step = "training coverage";
  {
    const on = "2025-06-30";
    const cli = JSON.parse(
      execFileSync(PMHC_BIN, ["--database", PMHC_DB, "training", "coverage", "--format", "json", "--on", on], {
        env: { ...process.env, PMHC_LOG: "error" },
      }).toString("utf8"),
    );
    const r = await page.goto(`${BASE}/training?on=${on}`);
    check(r.status() === 200, `/training answers 200, not ${r.status()}`);
    check(squash(await page.textContent("h1")).includes("Training coverage"), "the training coverage heading");
    const officerRows = cli.coverage.filter((c) => c.group === "officers" && !c.total);
    check(officerRows.length > 0, "the fixture roster has officers");
    check((await page.locator("#officers tbody tr").count()) === officerRows.length, `one row per precinct and shift (${officerRows.length})`);
    const cells = await page.locator("#officers tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
    for (const c of officerRows) {
      const row = cells.find((x) => x[0] === (c.precinct ?? "not known") && x[1] === (c.shift ?? "not known"));
      check(row && row[2] === String(c.staff) && row[3] === String(c.trained), `officers in ${c.precinct} on ${c.shift}: the page says ${JSON.stringify(row)}, the CLI ${c.staff} staff, ${c.trained} trained`);
    }
    const total = cli.coverage.find((c) => c.group === "officers" && c.total);
    const share = `${Math.round((100 * total.trained) / total.staff)}%`;
    const summary = squash(await page.locator("ul.summary").innerText());
    check(summary.includes(`${share} of patrol officers and supervisors trained (${total.trained} of ${total.staff})`), `the summary's share (${share}): ${summary}`);
    check(summary.includes(`Refreshers overdue: ${cli.overdue_total}.`), `the overdue count ${cli.overdue_total}: ${summary}`);
    check((await page.locator("svg.share-chart[role=img] title").first().textContent()).includes("Share of patrol officers"), "the coverage chart has a title for screen readers");
    check((await page.locator("#overdue tbody tr").count()) === cli.overdue.length, `an administrator sees the ${cli.overdue.length} overdue refreshers by name`);
    check((await page.locator("#courses tbody tr").count()) === cli.courses.length, "one row per course");
    await shot(page, "20-training");
    await axe(page, "/training");
  }

  // ---- Phone: the field form, offline and back ---------------------------------------------
  step = "field form at phone width";
  const phone = await browser.newContext({
    viewport: { width: 375, height: 812 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36",
    locale: "en-CA",
    timezoneId: "America/Toronto",
  });
  phone.setDefaultTimeout(30_000);
  const mob = await phone.newPage();
  watch(mob, "phone");
  await signIn(mob, "phone");
  // The menu folds behind a button on a phone: closed, the header is one line; opened, its pages.
  const header = await mob.evaluate(() => document.querySelector("header.top").getBoundingClientRect().height);
  check(header < 812 * 0.12, `the closed menu leaves the phone's screen to the page (header ${header} px)`);
  check(!(await mob.getByRole("link", { name: "Field form" }).isVisible()), "the menu starts closed on a phone");
  await mob.getByRole("button", { name: "Menu" }).tap();
  check(await mob.getByRole("link", { name: "Field form" }).isVisible(), "the menu opens with its pages");
  await shot(mob, "09-phone-menu");
  for (const addr of ["/", "/public", "/resources", "/intercepts"]) {
    await mob.goto(`${BASE}${addr}`);
    const wide = await tooWide(mob);
    check(wide <= 0, `${addr} fits a 375 px phone without sideways scrolling (${wide} px too wide)`);
  }
  await mob.getByRole("button", { name: "Menu" }).tap();
  await mob.getByRole("link", { name: "Field form" }).tap().catch(async () => mob.goto(`${BASE}/encounters/new`));
  await mob.waitForURL(`${BASE}/encounters/new`);
  const overflow = await tooWide(mob);
  check(overflow <= 0, `the field form fits a 375 px phone without sideways scrolling (${overflow} px too wide)`);
  const tooSmall = await mob.evaluate(() =>
    [...document.querySelectorAll("form.field-form input:not([type=hidden]), form.field-form select, form.field-form button")]
      .map((el) => ({ el, r: el.getBoundingClientRect() }))
      .filter(({ el, r }) => (el.type === "radio" ? false : r.height < 24))
      .map(({ el, r }) => `${el.name || el.textContent.trim()} (${Math.round(r.height)} px)`),
  );
  check(tooSmall.length === 0, `field form controls at least 24 px tall on a phone: ${tooSmall.join(", ")}`);
  await shot(mob, "06-field-form-phone");
  await axe(mob, "field form (phone)");
  // "Only the date is required": a field left alone must be recorded as not known, not as the
  // first choice of its list.
  const presets = await mob.locator("form.field-form select").evaluateAll((ss) =>
    ss.filter((s) => !["", "unknown"].includes(s.value)).map((s) => `${s.name}=${s.value} ("${s.selectedOptions[0]?.textContent}")`),
  );
  if (presets.length > 0) {
    // Every choice starts on "Not known": an untouched form records nothing.
    fail(`the empty field form preselects answers nobody gave: ${presets.join(", ")}`);
  }
  const draftId = await mob.inputValue("input[name=draft_id]");
  check(/^F-/.test(draftId), `the field form has a draft id (${draftId})`);

  step = "fill the field form";
  await mob.fill("#occurred_on", "2024-05-17");
  await mob.fill("#occurred_time", "14:30");
  await mob.fill("#precinct", "D52");
  await mob.fill("#beat", "Kensington-Chinatown");
  await mob.selectOption("#call_source", "911");
  await mob.fill("#initial_call_type", "PERSON IN CRISIS");
  await mob.locator("input[name=mh_recognised_at_dispatch][value=yes]").tap();
  await mob.selectOption("#response_model", "co_responder");
  await mob.locator("input[name=clinician_on_scene][value=yes]").tap();
  await mob.selectOption("#disposition", "referral");
  await mob.selectOption("#referral_service", "crisis_centre");
  await mob.selectOption("#use_of_force", "none");
  await mob.fill("#time_on_scene_minutes", "45");
  await mob.fill("#officers", "4127, 3380");
  // The person: bad identifiers are refused next to their field, and what was typed is kept (on
  // the page and in the device's draft).
  step = "the person's identifiers: refused next to the field, the draft kept";
  await mob.fill("#agency_person_id", "9".repeat(201));
  await mob.fill("#person_name", "Jo  DOE");
  await mob.fill("#date_of_birth", "2999-01-01");
  const idLabels = await mob.evaluate(() =>
    ["agency_person_id", "person_name", "date_of_birth", "officers"].map((id) => {
      const el = document.getElementById(id);
      const label = el && document.querySelector(`label[for=${id}]`);
      return `${id}:${label ? label.textContent.trim() : "NO LABEL"}:${el ? el.getAttribute("autocomplete") : "missing"}`;
    }),
  );
  check(idLabels.every((l) => !l.includes("NO LABEL") && !l.includes("missing")), `the person's fields and the officers are labelled (${idLabels.join("; ")})`);
  check(idLabels.slice(0, 3).every((l) => l.endsWith(":off")), `the browser is asked not to remember the person's identifiers (${idLabels.join("; ")})`);
  expectHttpErrors = true; // the 422 of a refused form is the answer expected here
  await Promise.all([
    mob.waitForResponse((r) => r.url() === `${BASE}/encounters/new` && r.request().method() === "POST"),
    mob.getByRole("button", { name: "Save encounter" }).tap(),
  ]);
  await mob.waitForSelector("#date_of_birth-error");
  expectHttpErrors = false;
  check(mob.url() === `${BASE}/encounters/new`, `refused identifiers stay on the form (${mob.url()})`);
  for (const id of ["agency_person_id", "date_of_birth"]) {
    const err = squash((await mob.textContent(`#${id}-error`)) || "");
    check(err.length > 0 && (await mob.getAttribute(`#${id}`, "aria-invalid")) === "true", `${id}: the problem is next to the field ("${err}")`);
    check(!err.includes("2999") && !err.includes("999999"), `${id}: the message does not repeat what was typed ("${err}")`);
  }
  check((await mob.inputValue("#person_name")) === "Jo  DOE" && (await mob.inputValue("#date_of_birth")) === "2999-01-01", "the refused form keeps what was typed");
  check((await mob.inputValue("#precinct")) === "D52" && (await mob.inputValue("#officers")) === "4127, 3380", "the rest of the form is kept too");
  let refusedDraft = await mob.evaluate(() => JSON.parse(localStorage.getItem("pmhc-draft-field-encounter") || "null"));
  check(refusedDraft && refusedDraft.person_name === "Jo  DOE" && refusedDraft.date_of_birth === "2999-01-01" && refusedDraft.precinct === "D52", `the draft on the device keeps the refused form (${JSON.stringify(refusedDraft && Object.keys(refusedDraft))})`);
  const refusedOverflow = await mob.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(refusedOverflow <= 0, `the refused field form fits a 375 px phone (${refusedOverflow} px too wide)`);
  await shot(mob, "06b-field-form-phone-person-refused");
  await axe(mob, "field form with refused identifiers (phone)");
  await mob.fill("#agency_person_id", "");
  await mob.fill("#date_of_birth", "1980-04-30");
  step = "fill the field form";
  const typed = {
    occurred_on: "2024-05-17",
    occurred_time: "14:30",
    precinct: "D52",
    beat: "Kensington-Chinatown",
    initial_call_type: "PERSON IN CRISIS",
    response_model: "co_responder",
    disposition: "referral",
    referral_service: "crisis_centre",
    time_on_scene_minutes: "45",
    officers: "4127, 3380",
    person_name: "Jo  DOE",
    date_of_birth: "1980-04-30",
  };
  const stored = async () => mob.evaluate(() => JSON.parse(localStorage.getItem("pmhc-draft-field-encounter") || "null"));
  const keptAll = async (where) => {
    for (const [k, v] of Object.entries(typed)) {
      const got = await mob.inputValue(`[name=${k}]`);
      check(got === v, `${where}: the field ${k} is kept (${JSON.stringify(got)}, expected ${JSON.stringify(v)})`);
    }
    check(await mob.isChecked("input[name=mh_recognised_at_dispatch][value=yes]"), `${where}: the radio answer is kept`);
  };
  let draft = await stored();
  check(draft && draft.precinct === "D52" && draft.occurred_on === "2024-05-17", `typing keeps a draft in localStorage (${JSON.stringify(draft)})`);

  step = "submit offline";
  await phone.setOffline(true);
  expectNetErrors = true;
  await mob.getByRole("button", { name: "Save encounter" }).tap();
  await mob.waitForFunction(() => /Not sent: no connection/.test(document.querySelector(".draft-status")?.textContent || ""), null, { timeout: 15_000 });
  check(mob.url() === `${BASE}/encounters/new`, `an offline submit stays on the form (${mob.url()})`);
  await keptAll("after an offline submit");
  draft = await stored();
  check(draft && draft.draft_id === draftId && draft.precinct === "D52", `the draft survives the failed submit in localStorage (${JSON.stringify(draft)})`);
  log(`offline submit: "${squash(await mob.textContent(".draft-status"))}"`);
  await shot(mob, "07-field-form-phone-offline");
  await axe(mob, "field form after an offline submit (phone)");

  step = "back online: the draft comes back after a reload";
  await phone.setOffline(false);
  expectNetErrors = false;
  await mob.reload();
  await mob.waitForFunction(() => /restored/.test(document.querySelector(".draft-status")?.textContent || ""));
  await keptAll("after a reload");
  check((await mob.inputValue("input[name=draft_id]")) === draftId, "the restored draft keeps its draft id (so a resend saves once)");

  step = "submit online";
  await Promise.all([
    mob.waitForURL(new RegExp(`/encounters/pmhc-field/${draftId}\\?saved=1$`), { timeout: 30_000 }),
    mob.getByRole("button", { name: "Save encounter" }).tap(),
  ]);
  check(squash(await mob.locator("main").innerText()).includes("The encounter was saved."), "the saved page says so");
  const detailText = squash(await mob.locator("main").innerText());
  for (const v of ["2024-05-17", "D52", "Kensington-Chinatown", "PERSON IN CRISIS"]) {
    check(detailText.includes(v), `the saved encounter shows ${v}`);
  }
  check((await stored()) === null, "the draft is cleared once the server has saved it");
  const personKey = squash((await mob.textContent("#saved-person-key")) || "");
  check(/^p-[0-9a-f]{24}$/.test(personKey), `the page after saving shows the person key (${personKey})`);
  const savedHtml = await mob.content();
  for (const v of ["Jo  DOE", "Jo DOE", "jo doe", "1980-04-30"]) {
    check(!savedHtml.includes(v), `the page after saving never shows the identifiers typed (${v})`);
  }
  check(detailText.includes("3380") && detailText.includes("4127"), "the saved encounter shows the officers' badge numbers");
  await shot(mob, "08-encounter-saved-phone");
  await axe(mob, "saved encounter (phone)");

  step = "complete the saved encounter later";
  await Promise.all([mob.waitForURL(`${BASE}/encounters/pmhc-field/${draftId}/edit`), mob.locator("#edit-encounter").tap()]);
  check((await mob.inputValue("#precinct")) === "D52" && (await mob.inputValue("#officers")) === "3380, 4127", "the edit form shows the record as saved");
  check((await mob.inputValue("#person_name")) === "" && (await mob.inputValue("#date_of_birth")) === "", "the edit form cannot show the identifiers (they are not stored)");
  check(squash(await mob.textContent("#person-key")) === personKey, "the edit form names the person key it keeps");
  const editOverflow = await mob.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(editOverflow <= 0, `the edit form fits a 375 px phone (${editOverflow} px too wide)`);
  await shot(mob, "08b-field-form-edit-phone");
  await axe(mob, "field form, editing a saved encounter (phone)");
  await mob.selectOption("#disposition", "voluntary_transport");
  await Promise.all([
    mob.waitForURL(new RegExp(`/encounters/pmhc-field/${draftId}\\?saved=edited$`), { timeout: 30_000 }),
    mob.getByRole("button", { name: "Save changes" }).tap(),
  ]);
  const editedText = squash(await mob.locator("main").innerText());
  check(editedText.includes("The changes were saved.") && squash((await mob.textContent("#saved-person-key")) || "") === personKey, "the edit is saved and keeps the person key");
  const history = await mob.locator("#versions li").allInnerTexts();
  check(history.length === 2 && /field form edit/.test(history[1]) && /disposition/.test(history[1]), `every version is kept (${history.join(" | ")})`);
  const editDraft = await mob.evaluate((k) => localStorage.getItem(k), `pmhc-draft-field-edit-${draftId}`);
  check(editDraft === null, "the edit's draft is cleared once saved");
  await shot(mob, "08c-encounter-edited-phone");

  step = "a session that ended while typing";
  // The officer's session ends (cookies gone) while a new draft is typed: saving must not lose it.
  await mob.goto(`${BASE}/encounters/new`);
  await mob.fill("#occurred_on", "2024-05-18");
  await mob.fill("#precinct", "D14");
  await phone.clearCookies();
  expectHttpErrors = true;
  await Promise.all([
    mob.waitForResponse((r) => r.url().startsWith(`${BASE}/encounters/new`) && r.request().method() === "POST"),
    mob.getByRole("button", { name: "Save encounter" }).tap(),
  ]);
  await mob.waitForTimeout(1000);
  await mob.waitForLoadState("load");
  expectHttpErrors = false;
  const lost = await stored();
  if (!(lost && lost.precinct === "D14")) {
    // Only a save (?saved=1) clears the draft; a redirect to sign-in keeps it.
    fail(`a submit after the session ended lands on ${mob.url()} and the draft is gone from localStorage (${JSON.stringify(lost)})`);
  } else {
    log("a submit after the session ended keeps the draft");
  }
  // ---- Phone: the resource guide, and a referral sent from the field form ---------------------
  step = "resource guide at phone width";
  await mob.goto(`${BASE}/resources`);
  const guideOverflow = await tooWide(mob);
  check(guideOverflow <= 0, `the resource guide fits a 375 px phone (${guideOverflow} px too wide)`);
  check(squash(await mob.locator("main").innerText()).includes("Crisis Receiving Centre"), "the guide lists the inventory");
  check((await mob.locator("a[href^='tel:']").count()) > 0, "the guide's phone numbers are call links");
  await shot(mob, "16-resource-guide-phone");
  await axe(mob, "resource guide (phone)");

  step = "training coverage at phone width";
  // The session ended above: sign in again, so that this is the training page, not the sign-in page.
  await signIn(mob, "phone, signed in again");
  await mob.goto(`${BASE}/training?on=2025-06-30`);
  check(new URL(mob.url()).pathname === "/training", `the training page at phone width (not ${mob.url()})`);
  check(squash(await mob.locator("main").innerText()).includes("Training"), "the training page shows its coverage");
  const trainingOverflow = await tooWide(mob);
  check(trainingOverflow <= 0, `the training coverage fits a 375 px phone (${trainingOverflow} px too wide)`);
  await shot(mob, "21-training-phone");
  await axe(mob, "training coverage (phone)");

  step = "a referral from the field form";
  await mob.goto(`${BASE}/encounters/new`);
  await mob.fill("#occurred_on", "2024-06-01");
  await mob.selectOption("#refer_service", { label: PROVIDER_SERVICE_LABEL });
  await Promise.all([mob.waitForURL(/\?saved=1$/, { timeout: 30_000 }), mob.getByRole("button", { name: "Save encounter" }).tap()]);
  await phone.close();

  step = "the provider confirms the connection";
  const provider = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const prov = await provider.newPage();
  watch(prov, "provider");
  await signIn(prov, "provider", PROVIDER_USER, PASSWORD);
  await prov.goto(`${BASE}/referrals`);
  const row = prov.locator("#referrals tbody tr").first();
  check(squash(await row.innerText()).includes("to you"), "the provider sees the referral sent to it");
  await axe(prov, "referrals (provider)");
  await Promise.all([prov.waitForURL(/\/referrals\?.*done=\d+&now=accepted/), row.getByRole("button", { name: "Accept", exact: true }).click()]);
  await Promise.all([
    prov.waitForURL(/\/referrals\?.*done=\d+&now=connected/),
    prov.locator("#referrals tbody tr").first().getByRole("button", { name: "Confirm connection" }).click(),
  ]);
  check(squash(await prov.locator("#referrals tbody tr").first().locator(".state").innerText()) === "Connected", "the referral is connected");
  await shot(prov, "17-referral-connected");

  step = "referrals at phone width";
  await prov.setViewportSize({ width: 375, height: 812 });
  await prov.goto(`${BASE}/referrals`);
  const refWide = await tooWide(prov);
  check(refWide <= 0, `the referrals fit a 375 px phone (${refWide} px too wide)`);
  let asked = "";
  prov.once("dialog", (d) => { asked = d.message(); d.accept(); });
  await Promise.all([
    prov.waitForURL(/\/referrals\?.*done=\d+&now=completed/),
    prov.locator("#referrals tbody tr").first().getByRole("button", { name: "Confirm completion" }).click(),
  ]);
  check(asked.includes("cannot be undone"), `an irreversible move asks first (${asked})`);
  check(squash(await prov.locator("#referrals tbody tr").first().locator(".state").innerText()).endsWith("Completed"), "the referral is completed on a phone");
  await shot(prov, "19-referrals-phone");
  await axe(prov, "referrals (phone)");

  step = "the gap analysis with a referral, at phone width";
  await prov.goto(`${BASE}/gaps`);
  check((await prov.locator(".panels svg[role='img'] title").count()) > 0, "the gap analysis charts the referrals per month against capacity");
  const gapsOverflow = await tooWide(prov);
  check(gapsOverflow <= 0, `the gap analysis fits a 375 px phone (${gapsOverflow} px too wide)`);
  await shot(prov, "20-gaps-phone");
  await axe(prov, "gaps (phone)");
  await provider.close();

  // ---- Desktop again: the list and the detail -----------------------------------------------
  step = "encounters list";
  await page.goto(`${BASE}/encounters`);
  check(/\d+ encounters match/.test(squash(await page.locator("main").innerText())), "the list says how many encounters match");
  await shot(page, "12-encounters");
  await axe(page, "encounters");
  await page.goto(`${BASE}/encounters?source=pmhc-field`);
  const link = page.locator(`a[href*="${draftId}"]`);
  check((await link.count()) === 1, `the list shows the field encounter ${draftId} once`);
  step = "encounter detail";
  if ((await link.count()) > 0) {
    await Promise.all([page.waitForURL(new RegExp(`/encounters/pmhc-field/${draftId}$`)), link.first().click()]);
  } else {
    await page.goto(`${BASE}/encounters/pmhc-field/${draftId}`);
  }
  check(squash(await page.textContent("h1")).includes(draftId), "the detail page is the encounter's");
  await shot(page, "13-encounter-detail");
  await axe(page, "encounter detail");
  // A Toronto encounter's page too (an imported record).
  await page.goto(`${BASE}/encounters?source=toronto-pic`);
  const torontoLink = page.locator("table a").first();
  if (check((await torontoLink.count()) > 0, "the list shows the imported Toronto encounters")) {
    await Promise.all([page.waitForURL(/\/encounters\/toronto-pic\//), torontoLink.click()]);
    check((await page.locator("dl.record dt").count()) > 5, "an imported encounter shows its fields");
    await axe(page, "imported encounter detail");
  }
  await desk.close();

  // ---- The demo jurisdiction: every page at both widths, referrals at scale, re-authentication
  if (check(DEMO && DEMO_USERS.clinician, "DEMO_URL and DEMO_USERS name the demo jurisdiction")) {
    await sweep();
    await referralsAtScale();
    await sharingSurvivesReauth();
    await workgroupMeetingAndActions();
  }
} catch (e) {
  fail(`stopped at "${step}": ${e.stack || e}`);
} finally {
  clearTimeout(guard);
  await browser.close().catch(() => {});
}

// ---- Summary ---------------------------------------------------------------------------------
const serious = a11y.filter((v) => v.serious);
console.log("");
console.log(`browser tests: ${shots.length} screenshots in ${SHOTS}`);
console.log(`browser tests: ${a11y.length} accessibility violation(s) found, ${serious.length} serious or critical`);
for (const v of serious) {
  fail(`accessibility [${v.impact}] on ${v.page}: ${v.id}: ${v.help}; ${v.nodes.map((n) => n.target).slice(0, 5).join(" | ")} (${v.url})`);
}
if (favicon404) warn("/favicon.ico answers 404 (every browser asks for it; each page load logs a console error)");
for (const w of warnings) console.log(`warning: ${w}`);
console.log(`browser tests took ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (failures.length > 0) {
  console.log(`\nbrowser tests FAILED (${failures.length}):`);
  for (const f of failures) console.log(`  - ${f}`);
  process.exit(1);
}
console.log("browser tests: all checks passed");
