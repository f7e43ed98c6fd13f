// The console's entry point: MapLibre's worker and glyphs, the sign-in,
// then the hash router.

import "./styles.css";
import * as maplibregl from "maplibre-gl";
import TinySDF from "@mapbox/tiny-sdf";
import { ApiError, Client, tooManyText } from "./api";
import { forbiddenText, mayOpen, whoText, type Me, type Screen } from "./access";
import { App, type Cleanup } from "./app";
import { h, replace, errorBox } from "./dom";
import { cssFamilies, FONT_FAMILIES, GLYPH_BUFFER, GLYPH_SIZE, registerGlyphProtocol } from "./glyphs";
import { parseRoute } from "./router";
import { Session, TokenStore, takeToken, type KeyValue } from "./session";
import { renderCoverage } from "./views/coverage";
import { renderLayers } from "./views/layers";
import { renderAddress } from "./views/address";
import { renderEntity } from "./views/entity";
import { renderScreening } from "./views/screening";
import { renderSignIn } from "./views/signin";
import { renderStats } from "./views/stats";

declare const __WORKER_FILE__: string;

maplibregl.setWorkerUrl(new URL(`assets/${__WORKER_FILE__}`, document.baseURI).href);
registerGlyphProtocol(
  (name, fn) => maplibregl.addProtocol(name, fn as never),
  (weight) =>
    new TinySDF({ fontSize: GLYPH_SIZE, buffer: GLYPH_BUFFER, radius: 8, cutoff: 0.25, fontFamily: cssFamilies(FONT_FAMILIES), fontWeight: weight }),
);

const signinEl = document.getElementById("signin")!;
const whoEl = document.getElementById("who")!;
const noticeEl = document.getElementById("notice")!;
const sideEl = document.getElementById("side")!;
const mapEl = document.getElementById("map")!;
const pageEl = document.getElementById("page")!;

const session = new Session(new TokenStore(webStorage()), location.origin, {
  signedOut: (why) => {
    if (why === "rejected") showSignIn("令牌无效、已过期或已被吊销，请重新登录。");
    else if (signinEl.hidden) showSignIn(); // already showing: keep what the person typed
  },
  rateLimited: (seconds) => showNotice(tooManyText(seconds), seconds ?? 5),
});
const api = new Client("", undefined, session);

let app: App | undefined;
let cleanup: Cleanup | undefined;

function webStorage(): KeyValue | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: the token lives as long as the page
  }
}

/**
 * takeHashToken keeps the token of a "#token=gs_..." link and takes it out
 * of the address bar (and so out of the history) at once.
 */
function takeHashToken(): boolean {
  const t = takeToken(location.hash);
  if (!t) return false;
  session.signIn(t.token);
  history.replaceState(null, "", location.pathname + location.search + t.rest);
  return true;
}

function showSignIn(message?: string): void {
  cleanup?.();
  cleanup = undefined;
  document.body.classList.add("signed-out");
  whoEl.hidden = true;
  renderSignIn(signinEl, message, async (token) => {
    session.signIn(token);
    await signedIn();
  });
}

let noticeTimer: ReturnType<typeof setTimeout> | undefined;
function showNotice(text: string, seconds: number): void {
  clearTimeout(noticeTimer);
  replace(noticeEl, text);
  noticeEl.hidden = false;
  noticeTimer = setTimeout(() => (noticeEl.hidden = true), seconds * 1000);
}

/**
 * signedIn asks the server who the kept token stands for and starts the
 * console. A console already started for another token starts again from
 * a fresh page, so nothing of the earlier sign-in (tiles, towns, filters)
 * stays. A 401 has shown the sign-in panel by the time the call fails.
 */
async function signedIn(): Promise<void> {
  if (app) {
    location.reload();
    return;
  }
  let me: Me;
  try {
    me = await api.get<Me>("/v1/me");
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return; // the sign-in panel shows
    // The server is down or busy: the token may well be good, so keep it.
    replace(signinEl, h("h2", { id: "signin-title" }, "无法连接服务器"), errorBox(err),
      h("p", {}, h("button", { type: "button", class: "primary", onclick: () => void signedIn() }, "重试")));
    signinEl.hidden = false;
    return;
  }
  start(me);
}

function start(me: Me): void {
  app = new App(api, session, me, sideEl, mapEl, pageEl);
  if (me.town_code) app.filter.town = me.town_code;
  signinEl.hidden = true;
  replace(signinEl);
  document.body.classList.remove("signed-out");
  const label = h("span", { id: "who-role" }, whoText(me));
  replace(whoEl, label,
    h("button", { type: "button", id: "signout", onclick: () => { session.signOut(); location.reload(); } }, "退出登录"));
  whoEl.hidden = false;
  // The screens the role cannot use are left out of the navigation.
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav a[data-screen]")) {
    a.hidden = !mayOpen(me, a.dataset["screen"] as Screen);
  }
  if (me.town_code) {
    void app.towns().then((towns) => {
      const names = new Map(towns.map((t) => [t.properties.code, t.properties.name]));
      label.textContent = whoText(me, (code) => names.get(code));
    }).catch(() => {}); // the code stays
  }
  route();
}

function route(): void {
  if (takeHashToken()) {
    void signedIn();
    return;
  }
  if (!app) return;
  const r = parseRoute(location.hash);
  cleanup?.();
  cleanup = undefined;
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav a[data-screen]")) {
    if (a.dataset["screen"] === r.screen) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (!mayOpen(app.me, r.screen)) {
    app.layout("page");
    replace(app.page, h("p", { class: "error", role: "alert" }, forbiddenText(app.me, "使用此页面")));
    return;
  }
  switch (r.screen) {
    case "coverage":
      cleanup = renderCoverage(app);
      break;
    case "layers":
      cleanup = renderLayers(app, r.layer);
      break;
    case "address":
      cleanup = renderAddress(app, r.q);
      break;
    case "entity":
      cleanup = renderEntity(app, r.uscc);
      break;
    case "stats":
      cleanup = renderStats(app, r);
      break;
    case "screening":
      cleanup = renderScreening(app, r.q ?? "");
      break;
  }
}

window.addEventListener("hashchange", route);
takeHashToken();
if (session.token()) void signedIn();
else showSignIn();
