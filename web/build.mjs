// Builds the console into dist/: index.html and assets/ (content-hashed
// names, so the server may cache assets/ for ever and index.html not at all).
// ECharts (charts.ts) and terra-draw (draw.ts) are chunks of their own,
// imported when a screen first needs them.
// MapLibre 6 runs its tile workers from a module file of its own, which is
// copied beside the bundle and named to the bundle through a define.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const assets = join(dist, "assets");
const watch = process.argv.includes("--dev");

function hash(bytes) {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 10);
}

// dist/.gitkeep stays: the Go package embeds dist/ and must compile before
// the first build.
await rm(assets, { recursive: true, force: true });
await rm(join(dist, "index.html"), { force: true });
await mkdir(assets, { recursive: true });

const workerSrc = join(here, "node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs");
const worker = await readFile(workerSrc);
const workerName = `maplibre-gl-worker-${hash(worker)}.js`;
await copyFile(workerSrc, join(assets, workerName));

const result = await build({
  entryPoints: { app: join(here, "src/main.ts") },
  bundle: true,
  format: "esm",
  target: ["es2022"],
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  outdir: assets,
  entryNames: "[name]-[hash]",
  // The statistics' charts and the screening's drawing load on first use.
  splitting: true,
  chunkNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  loader: { ".svg": "file" },
  define: { __WORKER_FILE__: JSON.stringify(workerName) },
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((f) => f.startsWith("app-") && f.endsWith(".js"));
const css = outputs.find((f) => f.startsWith("app-") && f.endsWith(".css"));
if (!js || !css) throw new Error(`build: no app bundle among ${outputs.join(", ")}`);

const html = (await readFile(join(here, "src/index.html"), "utf8"))
  .replace("%APP_CSS%", `assets/${css}`)
  .replace("%APP_JS%", `assets/${js}`);
await writeFile(join(dist, "index.html"), html);

for (const [path, out] of Object.entries(result.metafile.outputs)) {
  console.log(`${basename(path).padEnd(40)} ${(out.bytes / 1024).toFixed(0).padStart(6)} KiB`);
}
console.log(`${workerName.padEnd(40)} ${(worker.length / 1024).toFixed(0).padStart(6)} KiB`);
