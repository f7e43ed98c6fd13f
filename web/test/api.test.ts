import { describe, expect, it } from "vitest";
import { ApiError, Client, errorFromBody, withQuery, type Fetch } from "../src/api";

function respond(status: number, body: string, headers: Record<string, string> = {}): Fetch {
  return async () => new Response(body, { status, headers });
}

describe("withQuery", () => {
  it("leaves out empty values", () => {
    expect(withQuery("/v1/entities", { grid: "441900003001001", never_inspected: true, town: "", limit: undefined })).toBe(
      "/v1/entities?grid=441900003001001&never_inspected=true",
    );
  });
  it("appends to a path with a query", () => expect(withQuery("/a?b=1", { c: 2 })).toBe("/a?b=1&c=2"));
});

describe("errorFromBody", () => {
  it("reads the server's error with its field and request id", () => {
    const e = errorFromBody(
      400,
      '{"error":{"code":"invalid","message":"window: must be 1 to 1095","details":{"field":"window","request_id":"4f5d"}}}',
    );
    expect(e.message).toBe("请求有误：window: must be 1 to 1095");
    expect(e).toMatchObject({ status: 400, code: "invalid", field: "window", requestId: "4f5d" });
  });
  it("reads a top-level field too", () => {
    expect(errorFromBody(400, '{"error":{"code":"invalid","message":"m","field":"q"}}').field).toBe("q");
  });
  it("copes with a body that is not JSON", () => {
    const e = errorFromBody(502, "<html>bad gateway</html>", "r1");
    expect(e.message).toBe("请求失败（HTTP 502）");
    expect(e).toMatchObject({ code: "internal", requestId: "r1" });
  });
});

describe("Client", () => {
  it("gets JSON", async () => {
    let asked = "";
    const c = new Client("http://x", async (url) => {
      asked = url;
      return new Response('{"items":[],"next":null}', { status: 200 });
    });
    expect(await c.get("/v1/flags", { status: "open", limit: 50 })).toEqual({ items: [], next: null });
    expect(asked).toBe("http://x/v1/flags?status=open&limit=50");
  });
  it("posts JSON", async () => {
    let init: RequestInit | undefined;
    const c = new Client("", async (_u, i) => {
      init = i;
      return new Response('{"ok":true}', { status: 200 });
    });
    await c.post("/v1/flags/1/review", { decision: "confirm" });
    expect(init?.method).toBe("POST");
    expect(init?.body).toBe('{"decision":"confirm"}');
  });
  it("throws the server's error", async () => {
    const c = new Client("", respond(404, '{"error":{"code":"not_found","message":"no entity 9144"}}', { "X-Request-Id": "abc" }));
    await expect(c.get("/v1/entities/9144")).rejects.toMatchObject({ message: "未找到：no entity 9144", requestId: "abc" });
  });
  it("names a network failure", async () => {
    const c = new Client("", async () => {
      throw new TypeError("Failed to fetch");
    });
    const err = await c.get("/x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("unavailable");
  });
});
