// Downloads of tables and exports. The token is a header, which a plain
// link cannot send, so a download is fetched (Client.download) and saved
// from a Blob under the server's file name, or one made from its URL.

import type { Client, Query } from "./api";

/** FORMATS are the export formats of the entity endpoints, and their extensions. */
export const EXPORT_FORMATS = ["csv", "geojson", "ndjson"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * downloadName makes a file name for a download the server did not name,
 * from its path and query: /v1/stats/towns/441900003/villages with
 * from=2025-04&to=2026-03 and format=csv is
 * "stats-towns-441900003-villages_2025-04_2026-03.csv".
 */
export function downloadName(path: string, q: Query = {}): string {
  const stem = path
    .replace(/^\/v1\//, "")
    .split(/[/:]/)
    .filter(Boolean)
    .map((p) => p.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, ""))
    .filter(Boolean)
    .join("-") || "download";
  const period = [q["from"], q["to"]].filter((v) => typeof v === "string" && v !== "").join("_");
  const format = typeof q["format"] === "string" && q["format"] ? q["format"] : "json";
  return `${stem}${period ? `_${period}` : ""}.${format}`;
}

/** saveBlob hands a Blob to the browser as a file download. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own copy once started; give the click a moment.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * download fetches path with the token and saves it, under the server's
 * name or downloadName's. It resolves to the name saved under.
 */
export async function download(api: Client, path: string, q: Query, signal?: AbortSignal): Promise<string> {
  const { blob, name } = await api.download(path, q, signal);
  const saved = name ?? downloadName(path, q);
  saveBlob(blob, saved);
  return saved;
}
