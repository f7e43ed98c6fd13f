// End-to-end tests of the console in headless Debian Chromium, driven by
// playwright-core (no browser download), against a running server:
//
//   GRIDSENTRY_E2E_URL=http://127.0.0.1:8080 GRIDSENTRY_E2E_TOKEN=gs_... node e2e/run.mjs
//
// GRIDSENTRY_E2E_TOKEN is an admin token (the one `gridsentry dev` prints).
// With GRIDSENTRY_E2E_CLERK_TOKEN (a clerk's) and GRIDSENTRY_E2E_TOWN_TOKEN
// (a grid manager's of town GRIDSENTRY_E2E_TOWN) the run also checks what
// those roles see. The statistics and screening steps need the statistics
// and screening API (/v1/stats, /v1/entities/count and /geojson, /v1/filters). The console is opened first without a token: it must
// ask to sign in and get nothing from the API.
//
// Any console error, page error, failed request or HTTP error answer fails
// the run, but the 401s a step expects (a refused token before signing in),
// which the step counts itself. Screenshots go to e2e/screenshots/.
import { chromium } from "playwright-core";
import { mkdir, readFile, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const base = (process.env.GRIDSENTRY_E2E_URL ?? "").replace(/\/$/, "");
const token = process.env.GRIDSENTRY_E2E_TOKEN ?? "";
if (!base || !token) {
  console.error("e2e: set GRIDSENTRY_E2E_URL to the server's URL, e.g. http://127.0.0.1:8080, and GRIDSENTRY_E2E_TOKEN to an admin token");
  process.exit(2);
}
const clerkToken = process.env.GRIDSENTRY_E2E_CLERK_TOKEN ?? "";
const townToken = process.env.GRIDSENTRY_E2E_TOWN_TOKEN ?? "";
const town = process.env.GRIDSENTRY_E2E_TOWN ?? "";
/** auth is the header of the test's own API calls (page.request). */
const auth = { headers: { Authorization: `Bearer ${token}` } };
const TOKEN_KEY = "gridsentry.token";
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
/**
 * refusals, while a step sets it, collects the answers of the API (/v1,
 * /tiles) instead of letting a 401 fail the step: the step expects them
 * and checks them itself. Chromium logs each refused request as a console
 * error too; those are expected alike.
 */
let refusals = null;
const isAPI = (url) => { const p = new URL(url).pathname; return p.startsWith("/v1/") || p === "/tiles" || p.startsWith("/tiles/"); };
page.on("console", (m) => {
  if (m.type() !== "error") return;
  if (refusals && /status of 401 \(Unauthorized\)/.test(m.text())) return;
  problems.push(`console: ${m.text()}`);
});
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
page.on("requestfailed", (r) => {
  // A GET cancelled on purpose is not a failure: MapLibre drops the tiles of a
  // view it moved on from, a screen aborts its fetches when the route changes.
  if (r.failure()?.errorText === "net::ERR_ABORTED" && r.method() === "GET") return;
  problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
});
page.on("response", (r) => {
  if (refusals && isAPI(r.url())) {
    refusals.push({ status: r.status(), url: r.url() });
    if (r.status() === 401) return;
  }
  if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
});

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

/** stored is the token the console keeps, or null. */
const stored = () => page.evaluate((k) => localStorage.getItem(k), TOKEN_KEY);

/** signedOut checks the sign-in panel shows, the console shows nothing else, and the API gave nothing. */
async function signedOut() {
  await page.locator("#signin-token").waitFor({ state: "visible", timeout: 10000 });
  for (const sel of ["#who", "#side", "#map", "nav"]) {
    if (await page.locator(sel).isVisible()) throw new Error(`${sel} shows before signing in`);
  }
  if (await page.evaluate(() => !!window.__gridsentryMap)) throw new Error("the map was made before signing in");
  const answered = refusals.filter((r) => r.status < 400);
  if (answered.length) throw new Error(`the API answered before signing in: ${answered.map((r) => `${r.status} ${r.url}`).join(", ")}`);
}

await step("without a token the console asks to sign in", async () => {
  refusals = [];
  try {
    await page.goto(`${base}/#/coverage`);
    await signedOut();
    if (await stored()) throw new Error("a token is stored before signing in");
    // A malformed token is refused before asking the server.
    await page.fill("#signin-token", "not-a-token");
    await page.click("#signin button[type='submit']");
    await page.locator("#signin-msg", { hasText: "令牌格式不对" }).waitFor({ timeout: 5000 });
    await signedOut();
    if (refusals.length) throw new Error(`the console called the API without a token: ${refusals.map((r) => r.url).join(", ")}`);
    await page.screenshot({ path: join(shots, "signin.png") });
  } finally {
    refusals = null;
  }
});

await step("a refused token is dropped and the sign-in asked for", async () => {
  refusals = [];
  try {
    // Well formed, but no token the server issued.
    await page.evaluate((k) => localStorage.setItem(k, "gs_" + "A".repeat(43)), TOKEN_KEY);
    await page.reload();
    await page.locator("#signin-msg", { hasText: "令牌无效" }).waitFor({ timeout: 10000 });
    await signedOut();
    if (!refusals.some((r) => r.status === 401 && new URL(r.url).pathname === "/v1/me")) {
      throw new Error(`no 401 from /v1/me: ${JSON.stringify(refusals)}`);
    }
    if ((await stored()) !== null) throw new Error("the refused token is still stored");
  } finally {
    refusals = null;
  }
});

await step("signing in with #token= keeps the token and takes it out of the address bar", async () => {
  // A new page load, as when the link `gridsentry dev` prints is opened.
  await page.goto("about:blank");
  const tile = page.waitForRequest((r) => /\/tiles\/.*\.mvt/.test(r.url()), { timeout: 30000 });
  await page.goto(`${base}/#token=${token}`);
  await page.locator("#who-role", { hasText: "管理员 · 全市" }).waitFor({ timeout: 15000 });
  if (page.url().includes("token") || (await page.evaluate(() => location.hash)).includes(token)) {
    throw new Error(`the token stays in the address bar: ${page.url()}`);
  }
  if ((await stored()) !== token) throw new Error("the token is not stored");
  if (await page.locator("#signin").isVisible()) throw new Error("the sign-in panel still shows");
  // The map's tile requests carry the token (tiles are not public by default).
  const sent = (await tile).headers()["authorization"];
  if (sent !== `Bearer ${token}`) throw new Error(`a tile request was sent with Authorization ${sent}`);
});

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
  const res = await page.request.get(`${base}/v1/entities?link_status=matched&limit=1`, auth);
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
  const res = await page.request.get(`${base}/v1/flags?status=open&limit=20`, auth);
  flagged = (await res.json()).items.find((f) => f.uscc && f.location);
  if (!flagged) throw new Error("no open flag about an entity in the demo city");
  await page.goto(`${base}/#/entity/${flagged.uscc}`);
  await page.waitForSelector("#entity-name", { timeout: 15000 });
  // Drawn with the name; the map's flight to the entity may hold the page's
  // main thread (WebGL on the CPU) for seconds on a busy machine.
  await page.waitForSelector(`#entity-flags li[data-flag='${flagged.id}'] form`, { timeout: 15000 });
  await page.waitForFunction(() => window.__gridsentryMap.getZoom() > 15, null, { timeout: 15000 });
  await idle();
  if ((await rendered(["focus-circle"])) === 0) throw new Error("the entity is not on the map");
  await page.screenshot({ path: join(shots, "entity.png") });
});

await step("an admin shows an entity's personal data in full", async () => {
  const phone = () => page.locator("#entity-phone").innerText();
  if (!/^\d{3}\*{4}\d{4}$/.test(await phone())) throw new Error(`the phone shows unmasked at first: ${await phone()}`);
  if (!(await page.locator("#entity-legal-rep").innerText()).includes("*")) throw new Error("the legal representative shows unmasked at first");
  const asked = page.waitForRequest((r) => r.url().includes(`/v1/entities/${flagged.uscc}?unmask=true`), { timeout: 10000 });
  await page.click("#unmask");
  await asked;
  await page.waitForFunction(() => /^1\d{10}$/.test(document.getElementById("entity-phone")?.textContent ?? ""), null, { timeout: 10000 });
  if ((await page.locator("#entity-legal-rep").innerText()).includes("*")) throw new Error("the legal representative is still masked");
  if (!(await page.locator("#unmask-note").innerText()).includes("审计")) throw new Error("no note that the view is audited");
  if (await page.locator("#unmask").count()) throw new Error("the unmask button still shows");
  // The server logged it.
  const res = await page.request.get(`${base}/v1/audit?action=unmask&limit=20`, auth);
  const entries = (await res.json()).items;
  if (!entries.some((e) => e.object === `uscc=${flagged.uscc}`)) throw new Error(`no unmask entry for ${flagged.uscc} in the audit log`);
});

await step("a flag is reviewed", async () => {
  const li = `#entity-flags li[data-flag='${flagged.id}']`;
  await page.fill(`#rv-who-${flagged.id}`, "端到端测试");
  await page.fill(`#rv-why-${flagged.id}`, "现场核实属实");
  await page.click(`${li} button[data-decision='confirm']`);
  // The page reloads the entity; the confirmed flag offers to reopen it.
  await page.waitForSelector(`${li} button[data-decision='reopen']`, { timeout: 15000 });
  const res = await page.request.get(`${base}/v1/flags/${flagged.id}`, auth);
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
  const res = await page.request.get(tilejson, auth);
  if (!res.ok()) throw new Error(`TileJSON answers ${res.status()}`);
  await idle("__gridsentryPreview");
  await page.click(".card[data-layer='grids'] button:has-text('预览')");
  await page.waitForTimeout(300);
  await idle("__gridsentryPreview");
  if ((await rendered(["p-fill"], "__gridsentryPreview")) === 0) throw new Error("the preview drew no grids");
  await page.screenshot({ path: join(shots, "layers.png") });
});

/** settled waits until no card or count of the page is still loading. */
async function settled(timeout = 60000) {
  await page.waitForFunction(() => !document.querySelector("[aria-busy='true']"), null, { timeout, polling: 200 });
}

/**
 * downloaded clicks a download button and checks what a plain link could
 * not do: the request carried the token. It returns the file's name and bytes.
 */
async function downloaded(button, urlPart) {
  const asked = page.waitForRequest((r) => r.url().includes(urlPart), { timeout: 30000 });
  const file = page.waitForEvent("download", { timeout: 60000 });
  await page.click(button);
  const sent = (await asked).headers()["authorization"];
  if (sent !== `Bearer ${token}`) throw new Error(`the download ${urlPart} was asked for with Authorization ${sent}`);
  const d = await file;
  const path = await d.path();
  if (!path) throw new Error(`the download ${urlPart} failed: ${await d.failure()}`);
  return { name: d.suggestedFilename(), bytes: await readFile(path) };
}

let statsTown;
await step("the statistics screen shows the city's towns and drills down a town", async () => {
  await page.goto(`${base}/#/stats`);
  await page.waitForSelector("#stats-area-table tbody tr", { timeout: 30000 });
  await settled();
  const charts = await page.locator(".chart svg").count();
  if (charts < 6) throw new Error(`${charts} charts drawn, want the entities, tasks, coverage, trend, hot spots and lead flows`);
  const towns = await page.$$eval("#stats-area-table tbody tr[data-code]", (rows) => rows.map((r) => r.dataset.code).filter(Boolean));
  if (towns.length < 2) throw new Error(`the town table lists ${JSON.stringify(towns)}`);
  // The table's figures are the API's.
  const res = await page.request.get(`${base}/v1/stats/towns`, auth);
  const api = (await res.json()).items.find((t) => t.code === towns[0]);
  const active = await page.locator(`#stats-area-table tr[data-code='${towns[0]}'] td:nth-child(3)`).innerText();
  if (active !== api.entities.active.toLocaleString("zh-CN")) throw new Error(`the table shows ${active} active entities in ${api.name}, the API ${api.entities.active}`);
  await page.screenshot({ path: join(shots, "stats.png") });
  // A click on a town's row opens its villages.
  statsTown = { code: towns[0], name: api.name };
  await page.click(`#stats-area-table tr[data-code='${towns[0]}'] td:nth-child(2)`);
  await page.locator("#stats-crumbs [aria-current='page']", { hasText: api.name }).waitFor({ timeout: 15000 });
  await page.waitForSelector("#stats-area-table tbody tr", { timeout: 30000 });
  await settled();
  // The town's villages, and its entities not linked to one (code "").
  const villages = await page.$$eval("#stats-area-table tbody tr[data-code]", (rows) => rows.map((r) => r.dataset.code).filter(Boolean));
  if (!villages.length || !villages.every((v) => v.startsWith(towns[0]))) throw new Error(`the town's table lists ${JSON.stringify(villages)}`);
  if (!(await page.locator("#stats-areas h3").innerText()).includes("村")) throw new Error("the table is not of villages");
  await page.screenshot({ path: join(shots, "stats-town.png") });
});

await step("a statistics table downloads as CSV with the token", async () => {
  const { name, bytes } = await downloaded("#stats-areas button.csv", "format=csv");
  if (!name.endsWith(".csv")) throw new Error(`the file is named ${name}`);
  if (bytes[0] !== 0xef || bytes[1] !== 0xbb || bytes[2] !== 0xbf) throw new Error("the CSV has no byte order mark (Excel would garble Chinese)");
  const lines = bytes.toString("utf8").replace(/^\ufeff/, "").trim().split(/\r?\n/);
  if (lines.length < 2 || !lines[0].includes("code")) throw new Error(`the CSV starts ${JSON.stringify(lines.slice(0, 2))}`);
});

/** square is a GeoJSON polygon of about 2d degrees around a point. */
const square = ([x, y], d) => ({ type: "Polygon", coordinates: [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]] });

await step("a screen from a link lists its entities and maps them", async () => {
  const res = await page.request.get(`${base}/v1/entities?link_status=matched&status=active&limit=1`, auth);
  const at = (await res.json()).items[0].link.location.coordinates;
  const polygon = square(at, 0.005);
  const q = new URLSearchParams({ status: "active", polygon: JSON.stringify(polygon) });
  await page.goto(`${base}/#/screening?${q}`);
  await page.waitForSelector("#screen-list li a", { timeout: 30000 });
  await settled();
  const want = (await (await page.request.get(`${base}/v1/entities/count?${q}`, auth)).json()).count;
  const shown = await page.locator("#screen-count b").innerText();
  if (shown !== want.toLocaleString("zh-CN")) throw new Error(`the screen counts ${shown}, the API ${want}`);
  await idle();
  if ((await rendered(["screen-points", "screen-clusters"])) === 0) throw new Error("no results on the map");
  if ((await rendered(["screen-area-line"])) === 0) throw new Error("the polygon is not outlined");
  if (!(await page.locator("#screen-shown").innerText()).startsWith("地图显示")) throw new Error("the map layer does not say how much it shows");
  await page.screenshot({ path: join(shots, "screening.png") });
});

await step("a polygon drawn on the map screens the entities in it", async () => {
  await page.click("#sf-draw");
  await page.locator("#sf-draw", { hasText: "取消绘制" }).waitFor({ timeout: 5000 });
  // terra-draw's layers are on the map once it is ready for the first corner.
  await page.waitForFunction(() => window.__gridsentryMap.getStyle().layers.some((l) => l.id.startsWith("td-")), null, { timeout: 15000 });
  const box = await page.locator("#map canvas").boundingBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const corners = [[-160, -130], [170, -120], [150, 140], [-150, 120], [-160, -130]];
  for (const [dx, dy] of corners) {
    await page.mouse.move(cx + dx, cy + dy);
    await page.mouse.click(cx + dx, cy + dy);
  }
  await page.locator("#sf-polygon-note", { hasText: "已绘制（4 点）" }).waitFor({ timeout: 10000 });
  const before = await page.evaluate(() => location.hash);
  await page.click("#sf-run");
  await page.waitForFunction((h) => location.hash !== h, before, { timeout: 10000 });
  await settled();
  const polygon = new URLSearchParams((await page.evaluate(() => location.hash)).split("?")[1]).get("polygon");
  const ring = JSON.parse(polygon).coordinates[0];
  if (ring.length !== 5) throw new Error(`the screen's polygon has ${ring.length} points, want 4 and the closing one`);
  const want = (await (await page.request.get(`${base}/v1/entities/count?${new URLSearchParams({ status: "active", polygon })}`, auth)).json()).count;
  const shown = await page.locator("#screen-count b").innerText();
  if (shown !== want.toLocaleString("zh-CN")) throw new Error(`the drawn screen counts ${shown}, the API ${want}`);
});

await step("a screen is saved, run by its id and deleted", async () => {
  // The saved filters fold away while there are none.
  if (!(await page.locator("#saved-box").evaluate((d) => d.open))) await page.click("#saved-box > summary");
  await page.fill("#saved-name", "端到端测试筛选");
  await page.fill("#saved-description", "在营，范围内");
  await page.click("#saved-create");
  const li = page.locator("#saved-list li[data-id]", { hasText: "端到端测试筛选" });
  await li.waitFor({ timeout: 10000 });
  const id = await li.getAttribute("data-id");
  const stored = await (await page.request.get(`${base}/v1/filters/${id}`, auth)).json();
  if (stored.filter.status !== "active" || stored.filter.polygon?.type !== "Polygon") throw new Error(`the saved filter is ${JSON.stringify(stored.filter)}`);
  const ran = page.waitForRequest((r) => new URL(r.url()).pathname === `/v1/filters/${id}/geojson`, { timeout: 15000 });
  await li.locator("button[data-action='run']").click();
  await ran;
  await page.waitForFunction((i) => location.hash.includes(`saved=${i}`), id, { timeout: 10000 });
  await settled();
  const { name, bytes } = await downloaded("#screen-export-geojson", `/v1/filters/${id}/export`);
  const fc = JSON.parse(bytes.toString("utf8"));
  if (!name.endsWith(".geojson") || fc.type !== "FeatureCollection") throw new Error(`the export ${name} is not GeoJSON`);
  const counted = await page.locator("#screen-count b").innerText();
  if (fc.features.length.toLocaleString("zh-CN") !== counted) throw new Error(`the export holds ${fc.features.length} entities, the screen counts ${counted}`);
  page.once("dialog", (d) => void d.accept());
  await li.locator("button[data-action='delete']").click();
  await li.waitFor({ state: "detached", timeout: 10000 });
  const gone = await page.request.get(`${base}/v1/filters/${id}`, auth); // the test's own request: its 404 is no page error
  if (gone.status() !== 404) throw new Error(`the deleted filter answers ${gone.status()}`);
});

await step("a screen's entity opens its page", async () => {
  const first = page.locator("#screen-list li a").first();
  const href = await first.getAttribute("href");
  await first.click();
  await page.waitForSelector("#entity-name", { timeout: 15000 });
  if (!href || !page.url().endsWith(href)) throw new Error(`the entity page is ${page.url()}, the link ${href}`);
  // The screen's layers went with the screen.
  if (await page.evaluate(() => !!window.__gridsentryMap.getLayer("screen-points"))) throw new Error("the screen's results stay on the entity's map");
});

/** signOut signs out with the header's button and checks the console forgot the token. */
async function signOut() {
  await page.click("#signout");
  await page.locator("#signin-token").waitFor({ state: "visible", timeout: 10000 });
  if ((await stored()) !== null) throw new Error("the token is still stored after signing out");
}

await step("a clerk sees no flags, reviews or unmasking", async () => {
  if (!clerkToken) return console.log("skip (no GRIDSENTRY_E2E_CLERK_TOKEN)");
  await signOut();
  await page.fill("#signin-token", clerkToken);
  await page.click("#signin button[type='submit']");
  await page.locator("#who-role", { hasText: "登记员 · 全市" }).waitFor({ timeout: 15000 });
  await page.goto(`${base}/#/coverage`);
  await idle();
  if (await page.locator("#flag-list, [aria-label='待处理预警']").count()) throw new Error("a clerk is shown the open flags");
  await page.goto(`${base}/#/entity/${flagged.uscc}`);
  await page.waitForSelector("#entity-phone", { timeout: 15000 }); // drawn with the name (see above)
  for (const sel of ["#entity-flags", "#unmask", "form.review"]) {
    if (await page.locator(sel).count()) throw new Error(`a clerk is shown ${sel}`);
  }
  if (!/\*/.test(await page.locator("#entity-phone").innerText())) throw new Error("a clerk sees the phone unmasked");
  await idle();
  // No statistics; a screen without saving or exporting.
  if (await page.locator("nav a[data-screen='stats']").isVisible()) throw new Error("a clerk is offered the statistics");
  await page.goto(`${base}/#/screening?status=active&industry=F`);
  await page.waitForSelector("#screen-list li", { timeout: 30000 });
  await settled();
  for (const sel of ["#saved-create", "#screen-exports", "#saved-list button[data-action='delete']"]) {
    if (await page.locator(sel).count()) throw new Error(`a clerk is shown ${sel}`);
  }
  await page.goto(`${base}/#/stats`);
  await page.locator("#page [role='alert']", { hasText: "无权" }).waitFor({ timeout: 10000 });
});

await step("a town's grid manager filters its own town only", async () => {
  if (!townToken || !town) return console.log("skip (no GRIDSENTRY_E2E_TOWN_TOKEN and GRIDSENTRY_E2E_TOWN)");
  await signOut();
  const flags = page.waitForRequest((r) => new URL(r.url()).pathname === "/v1/flags", { timeout: 15000 });
  await page.goto(`${base}/#token=${townToken}`);
  await page.locator("#who-role", { hasText: /^网格管理员 · [^\d]+$/ }).waitFor({ timeout: 15000 });
  const options = await page.$$eval("#f-town option", (os) => os.map((o) => o.value));
  if (options.length !== 1 || options[0] !== town) throw new Error(`the town filter offers ${JSON.stringify(options)}, want only ${town}`);
  const asked = new URL((await flags).url()).searchParams.get("town");
  if (asked !== town) throw new Error(`the flags were asked for town ${asked}, want ${town}`);
  await page.waitForSelector("#flag-list li", { timeout: 10000 });
  await idle();
  await page.screenshot({ path: join(shots, "town.png") });
});

await step("a town's grid manager sees its town's statistics", async () => {
  if (!townToken || !town) return console.log("skip (no GRIDSENTRY_E2E_TOWN_TOKEN and GRIDSENTRY_E2E_TOWN)");
  const asked = page.waitForRequest((r) => new URL(r.url()).pathname === `/v1/stats/towns/${town}/villages`, { timeout: 15000 });
  await page.goto(`${base}/#/stats`);
  await asked;
  await page.waitForSelector("#stats-area-table tbody tr", { timeout: 30000 });
  await settled();
  if ((await page.locator("#stats-crumbs").innerText()).includes("全市")) throw new Error("a town's token is offered the city");
  const villages = await page.$$eval("#stats-area-table tbody tr[data-code]", (rows) => rows.map((r) => r.dataset.code).filter(Boolean));
  if (!villages.length || !villages.every((v) => v.startsWith(town))) throw new Error(`the town's table lists ${JSON.stringify(villages)}`);
});

await browser.close();
if (failed) {
  console.log(`e2e: ${failed} failed; screenshots in ${shots}`);
  process.exit(1);
}
console.log(`e2e: all passed; screenshots in ${shots}`);
