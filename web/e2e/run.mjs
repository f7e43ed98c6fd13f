// End-to-end tests of the console in headless Debian Chromium, driven by
// playwright-core (no browser download), against a running server:
//
//   GRIDSENTRY_E2E_URL=http://127.0.0.1:8080 node e2e/run.mjs
//
// Any console error, page error, failed request or HTTP error answer fails
// the run. Screenshots go to e2e/screenshots/.
import { chromium } from "playwright-core";
import { mkdir, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const base = (process.env.GRIDSENTRY_E2E_URL ?? "").replace(/\/$/, "");
if (!base) {
  console.error("e2e: set GRIDSENTRY_E2E_URL to the server's URL, e.g. http://127.0.0.1:8080");
  process.exit(2);
}
const shots = join(dirname(fileURLToPath(import.meta.url)), "screenshots");
await mkdir(shots, { recursive: true });
for (const f of await readdir(shots)) if (f.startsWith("fail-")) await rm(join(shots, f)); // an earlier run's

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    // WebGL on the CPU: MapLibre needs it and there is no GPU.
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
  ],
});
const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });

const problems = [];
page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
page.on("requestfailed", (r) => {
  // A GET cancelled on purpose is not a failure: MapLibre drops the tiles of a
  // view it moved on from, a screen aborts its fetches when the route changes.
  if (r.failure()?.errorText === "net::ERR_ABORTED" && r.method() === "GET") return;
  problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
});
page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`); });

let failed = 0;
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    if (problems.length) throw new Error(problems.splice(0).join("\n  "));
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${err instanceof Error ? err.message : err}`);
    await page.screenshot({ path: join(shots, `fail-${name.replace(/\W+/g, "-")}.png`) }).catch(() => {});
  }
}

/** idle waits until the map named by hook has loaded its style and tiles and stopped moving. */
async function idle(hook = "__gridsentryMap", timeout = 60000) {
  await page.waitForFunction((h) => !!window[h], hook, { timeout });
  await page.waitForFunction((h) => {
    const m = window[h];
    return m.loaded() && m.areTilesLoaded() && !m.isMoving();
  }, hook, { timeout, polling: 200 });
}

async function rendered(layers, hook = "__gridsentryMap") {
  return page.evaluate(([ls, h]) => window[h].queryRenderedFeatures({ layers: ls }).length, [layers, hook]);
}

await step("coverage map loads and draws tiles", async () => {
  await page.goto(`${base}/#/coverage`);
  await idle();
  const hexes = await rendered(["coverage-hex-fill"]);
  if (hexes === 0) throw new Error("no coverage hexagons drawn");
  await page.waitForFunction(() => document.querySelectorAll("#f-town option").length > 1, null, { timeout: 10000 });
  await page.waitForSelector("#flag-list li", { timeout: 10000 });
  const labels = await rendered(["town-labels"]);
  if (labels === 0) throw new Error("no town labels drawn (glyphs)");
  await page.screenshot({ path: join(shots, "coverage.png") });
});

await step("a layer toggles", async () => {
  const visible = () => page.evaluate(() => window.__gridsentryMap.getLayoutProperty("coverage-grid-line", "visibility"));
  if ((await visible()) !== "none") throw new Error("grid coverage starts visible");
  await page.focus("#t-coverage-grid-line");
  await page.keyboard.press("Space");
  if ((await visible()) !== "visible") throw new Error("the grid coverage did not show");
  await idle();
  await page.click("#t-coverage-grid-line");
  if ((await visible()) !== "none") throw new Error("the grid coverage did not hide");
});

await step("the filter reaches the coverage tiles", async () => {
  const wait = page.waitForRequest((r) => /coverage_hex.*window=90/.test(r.url()), { timeout: 15000 });
  await page.selectOption("#f-window", "90");
  await wait;
  await idle();
});

await step("a clicked hexagon shows its figures and blind spots", async () => {
  const at = await page.evaluate(() => {
    const m = window.__gridsentryMap;
    const c = m.getCanvas();
    const w = c.clientWidth, hgt = c.clientHeight;
    for (let y = hgt / 2, i = 0; i < 400; i++) {
      const x = w / 2 + ((i % 20) - 10) * 20;
      const yy = y + (Math.floor(i / 20) - 10) * 20;
      if (m.queryRenderedFeatures([x, yy], { layers: ["coverage-hex-fill"] }).length) return [x, yy];
    }
    return null;
  });
  if (!at) throw new Error("no hexagon to click");
  const box = await page.locator("#map canvas").boundingBox();
  await page.mouse.click(box.x + at[0], box.y + at[1]);
  await page.getByText("覆盖率", { exact: true }).first().waitFor({ timeout: 5000 });
  // The grids are hidden, so the click picks the hexagon under them.
  await page.locator("#side h3", { hasText: /^六边形 / }).waitFor({ timeout: 5000 });
  await page.waitForFunction(() => !document.querySelector("#side [aria-busy]"), null, { timeout: 15000 });
  await page.screenshot({ path: join(shots, "coverage-area.png") });
});

await step("an open flag focuses the map", async () => {
  await page.click("#flag-list li:first-child button");
  await page.waitForFunction(() => window.__gridsentryMap.getZoom() > 15, null, { timeout: 15000 });
  await idle();
  const ents = await rendered(["entities-circle", "buildings-fill"]);
  if (ents === 0) throw new Error("no entities or buildings drawn at the flag");
  await page.screenshot({ path: join(shots, "flag.png") });
});

await step("an address check shows the result on the map", async () => {
  await page.goto(`${base}/#/address`);
  await idle();
  // Take an address the library has, from its own search.
  const res = await page.request.get(`${base}/v1/entities?link_status=matched&limit=1`);
  const entity = (await res.json()).items[0];
  // The type-ahead answers for a road's name.
  const road = /[\u4e00-\u9fff]+?(?:大道|路|街|巷)/.exec(entity.address_text.replace(/^东莞市[^镇街]*?(镇|街道)/, ""))?.[0] ?? entity.address_text;
  await page.fill("#addr-q", "");
  await page.type("#addr-q", road, { delay: 30 });
  await page.waitForSelector("#addr-suggest li", { timeout: 10000 });
  await page.fill("#addr-q", entity.address_text);
  await page.keyboard.press("Escape");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#addr-standard", { timeout: 15000 });
  await page.waitForSelector("#addr-entities li", { timeout: 15000 });
  await page.waitForFunction(() => window.__gridsentryMap.getZoom() > 15, null, { timeout: 15000 });
  await idle();
  if ((await rendered(["focus-circle"])) === 0) throw new Error("the standard address is not on the map");
  await page.screenshot({ path: join(shots, "address.png") });
});

let flagged;
await step("an entity page opens", async () => {
  const res = await page.request.get(`${base}/v1/flags?status=open&limit=20`);
  flagged = (await res.json()).items.find((f) => f.uscc && f.location);
  if (!flagged) throw new Error("no open flag about an entity in the demo city");
  await page.goto(`${base}/#/entity/${flagged.uscc}`);
  await page.waitForSelector("#entity-name", { timeout: 15000 });
  await page.waitForSelector(`#entity-flags li[data-flag='${flagged.id}'] form`, { timeout: 5000 });
  await page.waitForFunction(() => window.__gridsentryMap.getZoom() > 15, null, { timeout: 15000 });
  await idle();
  if ((await rendered(["focus-circle"])) === 0) throw new Error("the entity is not on the map");
  await page.screenshot({ path: join(shots, "entity.png") });
});

await step("a flag is reviewed", async () => {
  const li = `#entity-flags li[data-flag='${flagged.id}']`;
  await page.fill(`#rv-who-${flagged.id}`, "端到端测试");
  await page.fill(`#rv-why-${flagged.id}`, "现场核实属实");
  await page.click(`${li} button[data-decision='confirm']`);
  // The page reloads the entity; the confirmed flag offers to reopen it.
  await page.waitForSelector(`${li} button[data-decision='reopen']`, { timeout: 15000 });
  const res = await page.request.get(`${base}/v1/flags/${flagged.id}`);
  const status = (await res.json()).status;
  if (status !== "confirmed") throw new Error(`flag ${flagged.id} is ${status}`);
  // Put it back as it was for the next run.
  await page.fill(`#rv-why-${flagged.id}`, "端到端测试复原");
  await page.click(`${li} button[data-decision='reopen']`);
  await page.waitForSelector(`${li} button[data-decision='confirm']`, { timeout: 15000 });
});

await step("layers catalogue with TileJSON and preview", async () => {
  await page.goto(`${base}/#/layers`);
  await page.waitForSelector(".card[data-layer='buildings']", { timeout: 10000 });
  const tilejson = await page.inputValue(".card[data-layer='buildings'] input");
  if (!/\/tiles\/buildings\.json$/.test(tilejson)) throw new Error(`TileJSON URL ${tilejson}`);
  const res = await page.request.get(tilejson);
  if (!res.ok()) throw new Error(`TileJSON answers ${res.status()}`);
  await idle("__gridsentryPreview");
  await page.click(".card[data-layer='grids'] button:has-text('预览')");
  await page.waitForTimeout(300);
  await idle("__gridsentryPreview");
  if ((await rendered(["p-fill"], "__gridsentryPreview")) === 0) throw new Error("the preview drew no grids");
  await page.screenshot({ path: join(shots, "layers.png") });
});

await browser.close();
if (failed) {
  console.log(`e2e: ${failed} failed; screenshots in ${shots}`);
  process.exit(1);
}
console.log(`e2e: all passed; screenshots in ${shots}`);
