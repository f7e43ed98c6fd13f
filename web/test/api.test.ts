import { describe, expect, it } from "vitest";
import { ApiError, Client, errorFromBody, tooManyText, withQuery, type Auth, type Fetch } from "../src/api";

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
  it("keeps the server's reason for a 403", () => {
    const e = errorFromBody(403, '{"error":{"code":"forbidden","message":"a clerk token may not review flags"}}');
    expect(e.message).toBe("无权限：a clerk token may not review flags");
    expect(e.code).toBe("forbidden");
  });
  it("says how long to wait after a 429", () => {
    const e = errorFromBody(429, '{"error":{"code":"rate_limited","message":"too many requests"}}', null, 12);
    expect(e.message).toBe("请求过于频繁，请 12 秒后重试。");
    expect(e).toMatchObject({ status: 429, code: "rate_limited", retryAfter: 12 });
  });
  it("a 429 without Retry-After", () => expect(tooManyText(null)).toBe("请求过于频繁，请稍后重试。"));
  it("names the code of a bare 401, 403 and 429", () => {
    expect([401, 403, 429].map((s) => errorFromBody(s, "").code)).toEqual(["unauthorized", "forbidden", "rate_limited"]);
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

const TOKEN = "gs_" + "t".repeat(43);

/** signIn is an Auth that records what the client tells it. */
function signIn(token: string | null, origin = "http://127.0.0.1:8080") {
  const told: string[] = [];
  const auth: Auth = {
    origin,
    token: () => token,
    unauthorized: (sent) => told.push(`401 with ${sent === null ? "no token" : sent === TOKEN ? "the token" : sent}`),
    rateLimited: (n) => told.push(`429 wait ${n}`),
  };
  return { auth, told };
}

/** recording answers status and body, and keeps the URL and headers of each request. */
function recording(status = 200, body = "{}", headers: Record<string, string> = {}) {
  const asked: { url: string; headers: Record<string, string> }[] = [];
  const fetchFn: Fetch = async (url, init) => {
    asked.push({ url, headers: { ...(init?.headers as Record<string, string>) } });
    return new Response(body, { status, headers });
  };
  return { asked, fetchFn };
}

describe("Client with a sign-in", () => {
  it("sends the token to its own origin", async () => {
    const { auth } = signIn(TOKEN);
    const { asked, fetchFn } = recording();
    const c = new Client("", fetchFn, auth);
    await c.get("/v1/me");
    await c.post("/v1/flags/1/review", { decision: "confirm" });
    expect(asked.map((a) => a.headers["Authorization"])).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    expect(asked[1]!.headers["Content-Type"]).toBe("application/json");
  });
  it("never sends the token to another origin", async () => {
    const { auth } = signIn(TOKEN);
    const { asked, fetchFn } = recording();
    await new Client("https://elsewhere.example", fetchFn, auth).get("/v1/me");
    expect(asked).toHaveLength(1);
    expect(asked[0]!.headers["Authorization"]).toBeUndefined();
  });
  it("asks for a sign-in, not the server, when there is no token", async () => {
    const { auth, told } = signIn(null);
    const { asked, fetchFn } = recording();
    const err = await new Client("", fetchFn, auth).get("/v1/flags").catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, code: "unauthorized" });
    expect(asked).toHaveLength(0);
    expect(told).toEqual(["401 with no token"]);
  });
  it("reports a 401 with the token the request carried", async () => {
    const { auth, told } = signIn(TOKEN);
    const { fetchFn } = recording(401, '{"error":{"code":"unauthorized","message":"token revoked"}}');
    const err = await new Client("", fetchFn, auth).get("/v1/entities").catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, message: "未登录：token revoked" });
    expect(told).toEqual(["401 with the token"]);
  });
  it("shows a 403 without signing out", async () => {
    const { auth, told } = signIn(TOKEN);
    const { fetchFn } = recording(403, '{"error":{"code":"forbidden","message":"a gis token may not read entities"}}');
    const err = await new Client("", fetchFn, auth).get("/v1/entities").catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 403, message: "无权限：a gis token may not read entities" });
    expect(told).toEqual([]);
  });
  it("reports a 429 with its Retry-After", async () => {
    const { auth, told } = signIn(TOKEN);
    const { fetchFn } = recording(429, '{"error":{"code":"rate_limited","message":"slow down"}}', { "Retry-After": "3" });
    const err = await new Client("", fetchFn, auth).get("/v1/flags").catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, retryAfter: 3, message: "请求过于频繁，请 3 秒后重试。" });
    expect(told).toEqual(["429 wait 3"]);
  });
});
