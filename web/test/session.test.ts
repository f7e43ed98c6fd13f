import { describe, expect, it } from "vitest";
import {
  Session, TOKEN_KEY, TokenStore, bearerFor, retryAfter, sameOrigin, takeToken, transformRequest, wellFormed, type KeyValue,
} from "../src/session";

const TOKEN = "gs_" + "Ab-_9".repeat(8) + "xyz"; // 43 characters after the prefix

class MemoryStorage implements KeyValue {
  readonly items = new Map<string, string>();
  getItem(k: string): string | null {
    return this.items.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.items.set(k, v);
  }
  removeItem(k: string): void {
    this.items.delete(k);
  }
}

/** RefusingStorage is a browser's storage when it is disabled or full. */
const refusing: KeyValue = {
  getItem: () => { throw new DOMException("denied", "SecurityError"); },
  setItem: () => { throw new DOMException("full", "QuotaExceededError"); },
  removeItem: () => { throw new DOMException("denied", "SecurityError"); },
};

describe("wellFormed", () => {
  const cases: [string, string, boolean][] = [
    ["a token", TOKEN, true],
    ["no prefix", TOKEN.slice(3), false],
    ["one character short", TOKEN.slice(0, -1), false],
    ["one character long", TOKEN + "A", false],
    ["padding", TOKEN.slice(0, -1) + "=", false],
    ["standard base64", TOKEN.slice(0, -1) + "+", false],
    ["spaces around", ` ${TOKEN}`, false],
  ];
  for (const [name, s, want] of cases) it(name, () => expect(wellFormed(s)).toBe(want));
});

describe("takeToken", () => {
  const cases: [string, string, ReturnType<typeof takeToken>][] = [
    ["what gridsentry dev prints", `#token=${TOKEN}`, { token: TOKEN, rest: "" }],
    ["without the #", `token=${TOKEN}`, { token: TOKEN, rest: "" }],
    ["with a route to land on", `#token=${TOKEN}&/entity/91441900300KNEJW75`, { token: TOKEN, rest: "#/entity/91441900300KNEJW75" }],
    ["with something else after it", `#token=${TOKEN}&x=1`, { token: TOKEN, rest: "" }],
    ["percent-encoded", `#token=${encodeURIComponent(TOKEN).replace("_", "%5F")}`, { token: TOKEN, rest: "" }],
    ["malformed: still taken out of the address bar", "#token=nonsense", { token: "nonsense", rest: "" }],
    ["a route", "#/coverage", null],
    ["an address query mentioning token=", "#/address?q=token=1", null],
    ["empty", "", null],
  ];
  for (const [name, hash, want] of cases) it(name, () => expect(takeToken(hash)).toEqual(want));
});

describe("TokenStore", () => {
  it("keeps the token under gridsentry.token", () => {
    const s = new MemoryStorage();
    const store = new TokenStore(s);
    expect(store.get()).toBeNull();
    store.set(TOKEN);
    expect(s.getItem(TOKEN_KEY)).toBe(TOKEN);
    expect(new TokenStore(s).get()).toBe(TOKEN); // the next page load finds it
    store.clear();
    expect(s.getItem(TOKEN_KEY)).toBeNull();
    expect(store.get()).toBeNull();
  });
  it("keeps the token for the page when storage refuses", () => {
    const store = new TokenStore(refusing);
    store.set(TOKEN);
    expect(store.get()).toBe(TOKEN);
    store.clear();
    expect(store.get()).toBeNull();
  });
  it("works without storage", () => {
    const store = new TokenStore(null);
    store.set(TOKEN);
    expect(store.get()).toBe(TOKEN);
  });
});

describe("bearerFor", () => {
  const origin = "http://127.0.0.1:8080";
  const cases: [string, string, string | null, boolean][] = [
    ["a path of this origin", "/v1/me", TOKEN, true],
    ["a path with a query", "/tiles/coverage_hex/12/3/4.mvt?window=90", TOKEN, true],
    ["an absolute URL of this origin (TileJSON, the style's tiles)", "http://127.0.0.1:8080/tiles/buildings.json", TOKEN, true],
    ["no token", "/v1/me", null, false],
    ["another host", "http://tiles.example.com/tiles/1/2/3.mvt", TOKEN, false],
    ["another port", "http://127.0.0.1:9090/v1/me", TOKEN, false],
    ["another scheme", "https://127.0.0.1:8080/v1/me", TOKEN, false],
    ["protocol-relative to another host", "//evil.example/v1/me", TOKEN, false],
    ["a host that begins like ours", "http://127.0.0.1:8080.evil.example/v1/me", TOKEN, false],
    ["user info naming our host", "http://127.0.0.1:8080@evil.example/v1/me", TOKEN, false],
    ["the glyphs protocol", "glyphs://Noto Sans Regular/0-255", TOKEN, false],
    ["a data URL", "data:application/json,{}", TOKEN, false],
  ];
  for (const [name, url, token, sends] of cases) {
    it(name, () => expect(bearerFor(url, origin, token)).toBe(sends ? `Bearer ${TOKEN}` : null));
  }
  it("sameOrigin refuses what is not a URL", () => expect(sameOrigin("http://[", origin)).toBe(false));
});

describe("transformRequest", () => {
  const origin = "https://gridsentry.dg.gov.cn";
  it("adds the header to the origin's tiles and reads the token at each request", () => {
    let token: string | null = TOKEN;
    const t = transformRequest(origin, () => token);
    expect(t(`${origin}/tiles/coverage_hex/10/1/2.mvt`)).toEqual({
      url: `${origin}/tiles/coverage_hex/10/1/2.mvt`, headers: { Authorization: `Bearer ${TOKEN}` },
    });
    token = null;
    expect(t(`${origin}/tiles/coverage_hex/10/1/2.mvt`)).toEqual({ url: `${origin}/tiles/coverage_hex/10/1/2.mvt` });
  });
  it("leaves other hosts' URLs alone", () => {
    const t = transformRequest(origin, () => TOKEN);
    expect(t("https://basemap.example.com/style.json")).toEqual({ url: "https://basemap.example.com/style.json" });
  });
});

describe("retryAfter", () => {
  const now = new Date("2026-03-01T00:00:00Z");
  const cases: [string, string | null, number | null][] = [
    ["seconds", "12", 12],
    ["zero is a second", "0", 1],
    ["an HTTP date", "Sun, 01 Mar 2026 00:00:30 GMT", 30],
    ["a date past", "Sat, 28 Feb 2026 23:00:00 GMT", 1],
    ["absent", null, null],
    ["empty", " ", null],
    ["nonsense", "soon", null],
  ];
  for (const [name, v, want] of cases) it(name, () => expect(retryAfter(v, now)).toBe(want));
});

describe("Session", () => {
  function session(token: string | null) {
    const store = new TokenStore(new MemoryStorage());
    if (token) store.set(token);
    const told: string[] = [];
    const s = new Session(store, "http://x", {
      signedOut: (why) => told.push(`signed out: ${why}`),
      rateLimited: (n) => told.push(`wait ${n}`),
    });
    return { s, store, told };
  }
  it("drops a refused token and asks for another", () => {
    const { s, store, told } = session(TOKEN);
    s.unauthorized(TOKEN);
    expect(store.get()).toBeNull();
    expect(told).toEqual(["signed out: rejected"]);
  });
  it("asks to sign in when there was no token", () => {
    const { s, told } = session(null);
    s.unauthorized(null);
    expect(told).toEqual(["signed out: none"]);
  });
  it("keeps a new token when an answer to the old one arrives late", () => {
    const { s, store, told } = session(TOKEN);
    const newer = "gs_" + "B".repeat(43);
    s.signIn(newer);
    s.unauthorized(TOKEN);
    expect(store.get()).toBe(newer);
    expect(told).toEqual([]);
  });
  it("passes on a 429's wait", () => {
    const { s, told } = session(TOKEN);
    s.rateLimited(7);
    expect(told).toEqual(["wait 7"]);
  });
  it("signs out", () => {
    const { s } = session(TOKEN);
    s.signOut();
    expect(s.token()).toBeNull();
  });
});
