import { describe, expect, it } from "vitest";
import { Client, filenameOf, type Auth, type Fetch } from "../src/api";
import { downloadName } from "../src/download";

describe("downloadName", () => {
  const cases: [string, Record<string, string>, string][] = [
    ["/v1/stats/towns", { from: "2025-04", to: "2026-03", format: "csv" }, "stats-towns_2025-04_2026-03.csv"],
    ["/v1/stats/towns/441900003/villages", { from: "2025-04", to: "2026-03", format: "csv" }, "stats-towns-441900003-villages_2025-04_2026-03.csv"],
    ["/v1/stats/trend", { town: "441900003", format: "csv" }, "stats-trend.csv"],
    ["/v1/entities/export", { format: "geojson", status: "active" }, "entities-export.geojson"],
    ["/v1/filters/12/export", { format: "ndjson" }, "filters-12-export.ndjson"],
    ["/v1/entities:search", {}, "entities-search.json"],
  ];
  for (const [path, q, want] of cases) it(`${path} ${JSON.stringify(q)}`, () => expect(downloadName(path, q)).toBe(want));
});

describe("filenameOf", () => {
  const cases: [string | null, string | null][] = [
    ['attachment; filename="entities-20260301.csv"', "entities-20260301.csv"],
    ["attachment; filename=entities-20260301.csv", "entities-20260301.csv"],
    ["attachment; filename*=utf-8''%E7%BB%9F%E8%AE%A1-%E9%95%87%E8%A1%97.csv", "统计-镇街.csv"],
    ["attachment; filename=\"a.csv\"; filename*=UTF-8''%E7%BB%9F%E8%AE%A1.csv", "统计.csv"],
    ['attachment; filename="say \\"hi\\".csv"', 'say "hi".csv'],
    ["attachment", null],
    [null, null],
  ];
  for (const [header, want] of cases) it(String(header), () => expect(filenameOf(header)).toBe(want));
});

const TOKEN = "gs_" + "t".repeat(43);

describe("Client.download", () => {
  const auth: Auth = { origin: "http://127.0.0.1:8080", token: () => TOKEN, unauthorized: () => {}, rateLimited: () => {} };
  it("sends the token (a link could not) and keeps the server's file name", async () => {
    const asked: { url: string; headers: Record<string, string> }[] = [];
    const fetchFn: Fetch = async (url, init) => {
      asked.push({ url, headers: { ...(init?.headers as Record<string, string>) } });
      return new Response("\ufeffcode,name\n441900003,东城街道\n", {
        status: 200, headers: { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="stats-towns.csv"' },
      });
    };
    const got = await new Client("", fetchFn, auth).download("/v1/stats/towns", { from: "2025-04", to: "2026-03", format: "csv" });
    expect(asked).toEqual([{ url: "/v1/stats/towns?from=2025-04&to=2026-03&format=csv", headers: { Accept: "*/*", Authorization: `Bearer ${TOKEN}` } }]);
    expect(got.name).toBe("stats-towns.csv");
    // The bytes as sent, with the byte order mark Excel needs to read Chinese.
    const bytes = new Uint8Array(await got.blob.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes)).toBe("code,name\n441900003,东城街道\n");
  });
  it("a refusal is the server's error, not a file", async () => {
    const fetchFn: Fetch = async () => new Response('{"error":{"code":"forbidden","message":"another town"}}', { status: 403 });
    await expect(new Client("", fetchFn, auth).download("/v1/stats/towns/441900118/villages")).rejects.toMatchObject({ status: 403, message: "无权限：another town" });
  });
  it("put and delete", async () => {
    const asked: string[] = [];
    const fetchFn: Fetch = async (url, init) => {
      asked.push(`${init?.method} ${url} ${(init?.headers as Record<string, string>)["If-Match"] ?? ""} ${init?.body ?? ""}`.trim());
      return new Response(init?.method === "DELETE" ? null : '{"id":7}', { status: init?.method === "DELETE" ? 204 : 200 });
    };
    const c = new Client("", fetchFn, auth);
    expect(await c.put("/v1/filters/7", { name: "x" }, "3")).toEqual({ id: 7 });
    expect(await c.delete("/v1/filters/7")).toBeUndefined();
    expect(asked).toEqual(['PUT /v1/filters/7 3 {"name":"x"}', "DELETE /v1/filters/7"]);
  });
});
