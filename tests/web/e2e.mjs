// End-to-end test of the web build in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core from .ci/web). Serves dist/ and the fixtures on 127.0.0.1, opens the app with
// ?url=, checks that the canvas shows the traces, labels one by keyboard, reloads and finds the
// label again, copies a trace as JSON, imports labels with &labels=, opens a dropped file, and
// times a 50 MB dump. Any console error or panic fails the test.
//
// usage: node tests/web/e2e.mjs [--dist DIR] [--screenshot FILE] [--keep]
import { createRequire } from "node:module";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, extname, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const require = createRequire(join(root, ".ci", "web", "package.json"));
const { chromium } = require("playwright-core");

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const dist = resolve(opt("--dist", join(root, "dist")));
const screenshot = opt("--screenshot", null);
// the 50 MB dump's budget (issue 18): reported, not failed on (a timing, not a behaviour)
const budgetMs = 2500;

if (!existsSync(join(dist, "errata_bg.wasm"))) {
  console.error(`no web build in ${dist}: run .ci/build-web first`);
  process.exit(2);
}

// ---- the dumps: a small fixture, its labels, and ~50 MB made from the demo traces ----
const fixture = readFileSync(join(here, "traces.jsonl"));
const labels = readFileSync(join(here, "labels.jsonl"));
const scripts = readFileSync(join(root, "tests", "fixtures", "scripts.jsonl"));
const fixtureCount = fixture.toString().trim().split("\n").length;
const demoLines = readFileSync(join(root, "assets", "demo_traces.jsonl"), "utf8").trim().split("\n");
const big = [];
let bigBytes = 0;
for (let copy = 0; bigBytes < 50e6; copy++) {
  for (const line of demoLines) {
    const l = line.replace(/"trace_id":"([^"]*)"/, `"trace_id":"$1-${copy}"`);
    big.push(l);
    bigBytes += l.length + 1;
  }
}
const bigBody = Buffer.from(big.join("\n") + "\n");
const bigCount = big.length;

// ---- a static server ----
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".webmanifest": "application/manifest+json",
  ".jsonl": "application/x-ndjson",
  ".ttf": "font/ttf",
};
const fontsFetched = [];
const server = createServer((req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  const send = (status, body, type) => {
    res.writeHead(status, { "Content-Type": type, "Content-Length": body.length });
    res.end(body);
  };
  if (path === "/fixtures/traces.jsonl") return send(200, fixture, types[".jsonl"]);
  if (path === "/fixtures/labels.jsonl") return send(200, labels, types[".jsonl"]);
  if (path === "/fixtures/big.jsonl") return send(200, bigBody, types[".jsonl"]);
  if (path === "/fixtures/scripts.jsonl") return send(200, scripts, types[".jsonl"]);
  if (path.startsWith("/fonts/")) fontsFetched.push(path.slice("/fonts/".length));
  for (const dir of ["formats", "spans"]) {
    if (path.startsWith(`/fixtures/${dir}/`)) {
      const file = join(root, "tests", "fixtures", dir, path.slice(`/fixtures/${dir}/`.length));
      if (existsSync(file)) return send(200, readFileSync(file), "application/octet-stream");
    }
  }
  const file = join(dist, path === "/" ? "index.html" : path.slice(1));
  if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) {
    return send(404, Buffer.from("not found"), "text/plain");
  }
  send(200, readFileSync(file), types[extname(file)] ?? "application/octet-stream");
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const base = `http://127.0.0.1:${server.address().port}`;

// ---- the browser ----
const profile = mkdtempSync(join(tmpdir(), "errata-e2e-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1280, height: 800 },
  permissions: ["clipboard-read", "clipboard-write"],
  args: [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ],
});
const problems = [];
let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
};

function watch(page) {
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on("crash", () => problems.push("the page crashed"));
}

// The app publishes its state as JSON in <body data-errata>.
async function status(page) {
  const s = await page.evaluate(() => document.body.dataset.errata ?? null);
  return s ? JSON.parse(s) : null;
}

async function waitFor(page, what, pred, timeoutMs = 60000) {
  const t0 = Date.now();
  let last = null;
  while (Date.now() - t0 < timeoutMs) {
    last = await status(page);
    if (last && pred(last)) return last;
    const crashed = await page.evaluate(() => document.getElementById("loading")?.className ?? "");
    if (crashed === "crashed" || crashed === "failed") {
      throw new Error(`${what}: the app failed: ` +
        (await page.evaluate(() => document.getElementById("loading").textContent)));
    }
    await page.waitForTimeout(50);
  }
  throw new Error(`${what}: timed out; last status ${JSON.stringify(last)}`);
}

// Distinct colours and the share of the most common one, over a screenshot of the canvas.
async function pixels(page) {
  const png = await page.locator("#errata_canvas").screenshot();
  return page.evaluate(async (b64) => {
    const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
    const bmp = await createImageBitmap(blob);
    const c = new OffscreenCanvas(bmp.width, bmp.height);
    const ctx = c.getContext("2d");
    ctx.drawImage(bmp, 0, 0);
    const d = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
    const counts = new Map();
    for (let i = 0; i < d.length; i += 4) {
      const k = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const top = Math.max(...counts.values());
    return { colours: counts.size, topShare: top / (d.length / 4) };
  }, png.toString("base64"));
}

try {
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  const url = `${base}/?url=${encodeURIComponent(`${base}/fixtures/traces.jsonl`)}`;

  // 1. open a dump by URL
  await page.goto(url);
  let s = await waitFor(page, "open ?url=", (s) => s.traces === fixtureCount && !s.loading);
  check(s.traces === fixtureCount && s.shown === fixtureCount,
    `?url= opened ${s.traces} traces, ${s.shown} shown (fixture has ${fixtureCount})`);
  check((await page.title()).includes("traces.jsonl"), `title names the dump: "${await page.title()}"`);
  check(await page.evaluate(() => !document.getElementById("loading")), "loading indicator removed");
  await page.waitForTimeout(300);
  const px = await pixels(page);
  check(px.colours > 20 && px.topShare < 0.95,
    `canvas is drawn (${px.colours} colours, most common ${(100 * px.topShare).toFixed(0)} %)`);
  if (screenshot) await page.screenshot({ path: screenshot });

  // 2. label by keyboard: select the first trace (j), mark it failing (f), the next passing (j, p)
  await page.locator("#errata_canvas").focus();
  await page.keyboard.press("j");
  await page.keyboard.press("f");
  await page.keyboard.press("j");
  await page.keyboard.press("p");
  s = await waitFor(page, "label by keyboard", (s) => s.reviewed === 2, 10000);
  check(s.reviewed === 2 && s.failed === 1, `keyboard labels: reviewed ${s.reviewed}, failed ${s.failed}`);

  // copy as JSON (c) puts the selected trace's original record on the clipboard
  await page.keyboard.press("c");
  await page.waitForTimeout(300);
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  const third = fixture.toString().split("\n")[2];
  check(copied === third, `copy as JSON: the clipboard holds the third record (${copied.length} chars)`);

  // 2b. typing fast into text boxes changes no label (issue 12): a tag coined with Enter on the
  // failing trace, then a note full of shortcut letters left with Esc
  await page.keyboard.press("k");
  await page.keyboard.press("t");
  await page.keyboard.type("zzbp", { delay: 5 });
  await page.keyboard.press("Enter");
  s = await waitFor(page, "a tag typed fast", (s) => s.coded === 1, 10000);
  check(s.reviewed === 2 && s.failed === 1,
    `a tag typed fast: reviewed ${s.reviewed}, failed ${s.failed}, coded ${s.coded}`);
  await page.keyboard.press("e");
  await page.keyboard.type("jkpfx 123 uoysr ab walker", { delay: 5 });
  await page.keyboard.press("Escape");
  await page.waitForTimeout(400);
  s = await status(page);
  check(s.reviewed === 2 && s.failed === 1 && s.coded === 1,
    `a note typed fast: reviewed ${s.reviewed}, failed ${s.failed}, coded ${s.coded}`);

  // 2c. a second tab on the same dump opens it read-only and says who holds it
  const second = await context.newPage();
  await second.goto(url);
  let s2 = await waitFor(second, "second tab", (s) => s.traces === fixtureCount && !s.loading);
  await second.waitForTimeout(300);
  s2 = await status(second);
  check(s2.errors.some((e) => e.includes("read-only")),
    `a second tab is read-only: ${JSON.stringify(s2.errors)}`);
  await second.close();

  // 3. reload: the labels come back from browser storage
  await page.reload();
  s = await waitFor(page, "reload", (s) => s.traces === fixtureCount && !s.loading);
  await page.waitForTimeout(200);
  s = await status(page);
  check(s.reviewed === 2 && s.failed === 1 && s.coded === 1,
    `after reload: reviewed ${s.reviewed}, failed ${s.failed}, coded ${s.coded}`);
  check(!s.errors.some((e) => e.includes("read-only")), "a reloaded tab is still the project's writer");

  // 4. &labels= imports a labels file into a project (the fixture under another URL = another project)
  const withLabels = `${base}/?url=${encodeURIComponent(`${base}/fixtures/traces.jsonl?copy=2`)}` +
    `&labels=${encodeURIComponent(`${base}/fixtures/labels.jsonl`)}`;
  await page.goto(withLabels);
  s = await waitFor(page, "&labels=", (s) => s.traces === fixtureCount && s.reviewed > 0, 20000);
  const expected = labels.toString().trim().split("\n").length;
  check(s.reviewed === expected, `&labels= imported ${s.reviewed} labels (file has ${expected})`);

  // 5. drop a file on the page: it opens as its own dump
  await page.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], "dropped.jsonl", { type: "application/x-ndjson" }));
    const canvas = document.getElementById("errata_canvas");
    for (const type of ["dragenter", "dragover", "drop"]) {
      canvas.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }
  }, fixture.toString());
  s = await waitFor(page, "drop a file", (s) => s.dump === "dropped.jsonl" && !s.loading, 20000);
  check(s.traces === fixtureCount, `a dropped file opened: ${s.traces} traces from ${s.dump}`);

  // 5b. every script drawn (issue 14): the fallback fonts are fetched from dist/fonts/ when a
  // trace shows a character they are for, and not before
  const wanted = ["NotoSansArabic-Regular.ttf", "NotoSansDevanagari-Regular.ttf",
    "NotoSansThai-Regular.ttf", "NanumGothic.ttf", "DroidSansFallbackFull.ttf",
    "NotoEmoji-Regular.ttf", "DejaVuSans.ttf"];
  check(!wanted.slice(0, 5).some((f) => fontsFetched.includes(f)),
    `no script font fetched before a trace needs one (fetched: ${JSON.stringify(fontsFetched)})`);
  await page.goto(`${base}/?url=${encodeURIComponent(`${base}/fixtures/scripts.jsonl`)}`);
  s = await waitFor(page, "mixed scripts", (s) => s.traces === 3 && !s.loading, 20000);
  await page.locator("#errata_canvas").focus();
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press("j");
    await page.waitForTimeout(150);
  }
  s = await waitFor(page, "fonts fetched", (s) =>
    s.fonts.pending.length === 0 && wanted.every((f) => s.fonts.loaded.includes(f)), 20000);
  check(s.fonts.missing === "" && s.fonts.failed.length === 0,
    `every script drawn: fonts ${JSON.stringify(s.fonts.loaded)}, missing "${s.fonts.missing}"`);
  if (screenshot) await page.screenshot({ path: screenshot.replace(/\.png$/, "-scripts.png") });

  // 5c. the files people have (issue 15): tools' JSON documents and Inspect's .eval archive
  // open in the browser as they do natively
  const formats = [
    ["inspect-security-guide.eval", 3], ["inspect-security-guide.json", 3], ["otlp.json", 3],
    ["otel-console.json", 3], ["langfuse-trace.json", 1], ["mlflow-trace.json", 1],
    ["langsmith-runs.json", 1], ["atif-trajectory.json", 1], ["sharegpt.json", 3],
    ["openai-batch-output.jsonl", 3], ["anthropic-batch-results.jsonl", 3], ["oaieval.jsonl", 2],
  ];
  for (const [file, count] of formats) {
    await page.goto(`${base}/?url=${encodeURIComponent(`${base}/fixtures/formats/${file}`)}`);
    s = await waitFor(page, file, (s) => (s.traces > 0 && !s.loading) || s.errors.length > 0, 30000);
    check(s.traces === count && s.errors.length === 0,
      `${file}: ${s.traces} traces (expected ${count})${s.errors.length ? " " + JSON.stringify(s.errors) : ""}`);
  }

  // 5d. agent traces (issue 16): span records grouped into traces, the span tree shown
  const agentRuns = [
    ["phoenix-agent.jsonl", 2, 8, 4], ["otlp-agent.json", 2, 8, 4],
    ["claude-code-session.jsonl", 1, 10, 9], ["langfuse-observations.json", 1, 3, 3],
  ];
  for (const [file, traces, spans, tree] of agentRuns) {
    await page.goto(`${base}/?url=${encodeURIComponent(`${base}/fixtures/spans/${file}`)}`);
    s = await waitFor(page, file, (s) => (s.traces > 0 && !s.loading) || s.errors.length > 0, 30000);
    check(s.traces === traces && s.spans === spans && s.errors.length === 0,
      `${file}: ${s.traces} traces of ${s.spans} spans (expected ${traces} of ${spans})`);
    await page.locator("#errata_canvas").focus();
    await page.keyboard.press("Home");
    s = await waitFor(page, `${file} span tree`, (s) => s.tree > 0, 10000).catch(() => s);
    check(s.tree === tree, `${file}: span tree of ${s.tree} spans (expected ${tree})`);
  }
  if (screenshot) await page.screenshot({ path: screenshot.replace(/\.png$/, "-spans.png") });

  // 5e. a ClickHouse source (issue 17): the table read from the server, a trace opened whole
  // with its span tree, a label kept in browser storage, a WHERE counted by the server
  const ch = process.env.ERRATA_CLICKHOUSE;
  if (!ch) {
    check(!process.env.CI, "ClickHouse: ERRATA_CLICKHOUSE is not set (.ci/run starts a server)");
  } else {
    const seed = readFileSync(join(root, "tests", "fixtures", "clickhouse", "seed.sql"), "utf8");
    for (const statement of seed.split("\n\n")) {
      const sql = statement.split("\n").filter((l) => !l.startsWith("--")).join("\n")
        .replaceAll("errata_seed", "errata_web").trim();
      if (!sql) continue;
      const r = await fetch(`http://${ch}/`, { method: "POST", body: sql });
      if (!r.ok) throw new Error(`seeding ClickHouse: ${sql.slice(0, 60)}: ${await r.text()}`);
    }
    const source = `clickhouse://default@${ch}/errata_web/otel_traces`;
    await page.goto(`${base}/?url=${encodeURIComponent(source)}`);
    s = await waitFor(page, "ClickHouse source",
      (s) => (s.remote?.matched === 200 && s.traces > 0 && s.tree > 0) || s.errors.length > 0, 30000);
    check(s.remote?.total === 200 && s.tree === 4 && s.errors.length === 0,
      `ClickHouse: ${s.remote?.matched} of ${s.remote?.total} traces on the server, the first opened ` +
      `with a span tree of ${s.tree}${s.errors.length ? " " + JSON.stringify(s.errors) : ""}`);
    await page.locator("#errata_canvas").focus();
    await page.keyboard.press("j");
    s = await waitFor(page, "ClickHouse: row 2 opened", (s) => s.remote?.selected === 1 && s.traces === 2, 10000)
      .catch(() => s);
    await page.keyboard.press("f");
    s = await waitFor(page, "ClickHouse: labelled", (s) => s.failed === 1, 10000).catch(() => s);
    check(s.failed === 1 && s.traces === 2, `ClickHouse: trace 2 fetched whole and labelled (${s.failed} failing)`);
    await page.keyboard.press("w");
    await page.keyboard.type("StatusCode = 'STATUS_CODE_ERROR'", { delay: 5 });
    await page.keyboard.press("Enter");
    s = await waitFor(page, "ClickHouse: WHERE", (s) => s.remote?.matched === 20, 15000).catch(() => s);
    check(s.remote?.matched === 20, `ClickHouse: the WHERE counted by the server (${s.remote?.matched} of 200)`);
    await page.reload();
    s = await waitFor(page, "ClickHouse reopened", (s) => s.remote?.matched === 20 && s.traces > 0, 30000)
      .catch(() => s);
    check(s.failed === 1 && s.remote?.matched === 20,
      `ClickHouse: reopened with its label (${s.failed} failing) and its filter (${s.remote?.matched})`);
    if (screenshot) await page.screenshot({ path: screenshot.replace(/\.png$/, "-clickhouse.png") });
  }

  // 6. a 50 MB dump: from navigation to the traces shown
  const t0 = Date.now();
  await page.goto(`${base}/?url=${encodeURIComponent(`${base}/fixtures/big.jsonl`)}`);
  s = await waitFor(page, "50 MB dump", (s) => s.traces === bigCount && !s.loading, 120000);
  const openMs = Date.now() - t0;
  console.log(`info 50 MB dump (${(bigBody.length / 1e6).toFixed(1)} MB, ${bigCount} traces): ` +
    `open ${openMs} ms from navigation (budget ${budgetMs} ms: ${openMs <= budgetMs ? "meets" : "MISSES"})`);
  check(s.shown === bigCount, `50 MB dump: ${s.shown} of ${bigCount} shown`);

  check(problems.length === 0, `no console errors or panics${problems.length ? ":\n  " + problems.join("\n  ") : ""}`);
} catch (e) {
  console.log(`FAIL ${e.message}`);
  for (const p of problems) console.log(`  ${p}`);
  failures++;
} finally {
  await context.close();
  server.close();
  if (!args.includes("--keep")) rmSync(profile, { recursive: true, force: true });
}
console.log(failures ? `web e2e: ${failures} failed` : "web e2e: all passed");
process.exit(failures ? 1 : 0);
