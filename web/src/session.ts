// The console's sign-in: the API token kept in localStorage, taken once
// from a "#token=gs_..." link, and sent as a bearer token to this origin
// only (the API client and the map's requests both ask bearerFor).

/** TOKEN_KEY is the localStorage key of the token. */
export const TOKEN_KEY = "gridsentry.token";

/** TOKEN_RE matches a well-formed token: "gs_" and 43 URL-safe base64 characters (auth.TokenPrefix). */
const TOKEN_RE = /^gs_[A-Za-z0-9_-]{43}$/;

/** wellFormed reports whether s looks like an API token (the server decides whether it is one). */
export function wellFormed(s: string): boolean {
  return TOKEN_RE.test(s);
}

/**
 * takeToken reads a token from a location hash: "#token=gs_..." (what
 * `gridsentry dev` prints), optionally followed by "&/route" to land on.
 * It returns the token and the hash to leave in the address bar, or null
 * when the hash holds no token parameter. A malformed token is still
 * returned (and taken out of the address bar): the server answers 401.
 */
export function takeToken(hash: string): { token: string; rest: string } | null {
  const m = /^#?token=([^&]*)(?:&(.*))?$/.exec(hash);
  if (!m) return null;
  let token = m[1]!;
  try {
    token = decodeURIComponent(token);
  } catch {
    // keep it as it is
  }
  const after = m[2] ?? "";
  return { token: token.trim(), rest: after.startsWith("/") ? `#${after}` : "" };
}

/** KeyValue is the part of Web Storage the token store uses. */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * TokenStore keeps the token. Storage that refuses (a private window, a
 * full quota, storage disabled) leaves the token in memory for this page.
 */
export class TokenStore {
  private memory: string | null = null;

  constructor(private readonly storage: KeyValue | null) {}

  get(): string | null {
    try {
      const v = this.storage?.getItem(TOKEN_KEY);
      if (v) return v;
    } catch {
      // fall back to memory
    }
    return this.memory;
  }

  set(token: string): void {
    this.memory = token;
    try {
      this.storage?.setItem(TOKEN_KEY, token);
    } catch {
      // memory only
    }
  }

  clear(): void {
    this.memory = null;
    try {
      this.storage?.removeItem(TOKEN_KEY);
    } catch {
      // nothing kept
    }
  }
}

/**
 * sameOrigin reports whether url, resolved against origin, is an http(s)
 * URL of origin itself. Other hosts, ports and schemes (a CDN, the
 * glyphs:// protocol, a data: URL) are not.
 */
export function sameOrigin(url: string, origin: string): boolean {
  try {
    const u = new URL(url, origin);
    return (u.protocol === "http:" || u.protocol === "https:") && u.origin === origin;
  } catch {
    return false;
  }
}

/**
 * bearerFor gives the Authorization header value to send with a request
 * to url, or null: there is no token, or the URL is not this origin's
 * (the token never leaves for another host).
 */
export function bearerFor(url: string, origin: string, token: string | null): string | null {
  return token && sameOrigin(url, origin) ? `Bearer ${token}` : null;
}

/**
 * transformRequest is MapLibre's transformRequest for a map of this
 * origin: tiles, TileJSON and styles of the origin get the current token
 * (read at each request, so signing in again takes effect at once).
 */
export function transformRequest(origin: string, token: () => string | null): (url: string) => { url: string; headers?: Record<string, string> } {
  return (url) => {
    const auth = bearerFor(url, origin, token());
    return auth ? { url, headers: { Authorization: auth } } : { url };
  };
}

/**
 * retryAfter reads a Retry-After header as whole seconds to wait (at
 * least 1), from a number of seconds or an HTTP date; null without one.
 */
export function retryAfter(header: string | null | undefined, now: Date = new Date()): number | null {
  if (header == null || header.trim() === "") return null;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Math.max(1, Number(v));
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(1, Math.ceil((at - now.getTime()) / 1000));
}

/** Why the sign-in panel shows: no token yet, or the server refused the one kept. */
export type SignedOut = "none" | "rejected";

/**
 * Session is the sign-in the API client and the map consult: the stored
 * token, and what to do when the server refuses it (401: drop it and ask
 * for another) or asks to slow down (429).
 */
export class Session {
  constructor(
    private readonly store: TokenStore,
    readonly origin: string,
    private readonly on: { signedOut(why: SignedOut): void; rateLimited(seconds: number | null): void },
  ) {}

  token(): string | null {
    return this.store.get();
  }

  /** signIn keeps a new token. */
  signIn(token: string): void {
    this.store.set(token);
  }

  /** signOut forgets the token. */
  signOut(): void {
    this.store.clear();
  }

  /**
   * unauthorized is told of a 401 to a request that carried sent. The
   * token is dropped and the sign-in asked for, unless the request was
   * made with a token since replaced (its answer says nothing of the new one).
   */
  unauthorized(sent: string | null): void {
    const now = this.store.get();
    if (sent !== now) return;
    if (now !== null) this.store.clear();
    this.on.signedOut(now === null ? "none" : "rejected");
  }

  rateLimited(seconds: number | null): void {
    this.on.rateLimited(seconds);
  }
}
