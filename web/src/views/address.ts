// 地址核验: a clerk types an address (with type-ahead from the standard
// address library), the server validates it, and the console shows the
// standard address, level, score, issues and candidates on the map, and
// who else is registered in the same building.

import { shows } from "../access";
import type { App, Cleanup } from "../app";
import type { Address, Entity, Page, ValidateResult } from "../api";
import { h, replace, errorBox } from "../dom";
import { score as fmtScore } from "../format";
import type { FocusFeature } from "../mapview";
import { ADDRESS_ISSUES, ADDRESS_LEVEL, ENTITY_STATUS, VALIDATE_STATUS, nameOf } from "../names";
import { routeHash } from "../router";
import { moveIndex, worthAsking } from "../suggest";

export function renderAddress(app: App, initial?: string): Cleanup {
  app.layout("map");
  const input = h("input", {
    type: "text", id: "addr-q", name: "q", autocomplete: "off", placeholder: "如：东莞市厚街镇厚街大道2468号1号厂房401",
    role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": "addr-suggest",
  });
  if (initial) input.value = initial;
  const list = h("ul", { id: "addr-suggest", role: "listbox", class: "list suggest", hidden: true, "aria-label": "地址建议" });
  const result = h("section", { "aria-label": "核验结果", "aria-live": "polite" });
  const form = h("form", { role: "search", "aria-label": "地址核验" },
    h("label", { for: "addr-q" }, "登记地址"), input, list,
    h("p", {}, h("button", { type: "submit", class: "primary" }, "核验")));
  replace(app.side, h("h2", {}, "地址核验"), form, result);

  let items: Address[] = [];
  let active = -1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let searchAbort = new AbortController();
  let validateAbort = new AbortController();

  const closeList = (): void => {
    // A search still on its way must not open the list again.
    clearTimeout(timer);
    searchAbort.abort();
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const highlight = (i: number): void => {
    active = i;
    list.querySelectorAll("li").forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
    if (i >= 0) input.setAttribute("aria-activedescendant", `addr-opt-${i}`);
  };
  const choose = (a: Address): void => {
    input.value = a.full;
    closeList();
    void validate();
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value;
    if (!worthAsking(q)) { closeList(); return; }
    timer = setTimeout(() => {
      searchAbort.abort();
      searchAbort = new AbortController();
      app.api.get<Page<Address>>("/v1/addresses/search", { q, limit: 8 }, searchAbort.signal)
        .then((page) => {
          items = page.items;
          replace(list, items.map((a, i) =>
            h("li", { id: `addr-opt-${i}`, role: "option", "aria-selected": "false",
              onmousedown: (e: Event) => { e.preventDefault(); choose(a); } },
              a.full, " ", h("span", { class: "small" }, nameOf(ADDRESS_LEVEL, a.level)))));
          list.hidden = items.length === 0;
          input.setAttribute("aria-expanded", String(items.length > 0));
          active = -1;
        })
        .catch(() => closeList()); // type-ahead is a help; the check itself reports errors
    }, 200);
  });
  input.addEventListener("keydown", (e) => {
    if (list.hidden) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      highlight(moveIndex(active, e.key === "ArrowDown" ? 1 : -1, items.length));
    } else if (e.key === "Enter" && active >= 0) {
      e.preventDefault();
      choose(items[active]!);
    } else if (e.key === "Escape") {
      closeList();
    }
  });
  input.addEventListener("blur", () => setTimeout(closeList, 100));
  form.addEventListener("submit", (e) => { e.preventDefault(); closeList(); void validate(); });

  async function validate(): Promise<void> {
    const address = input.value.trim();
    if (!address) { input.focus(); return; }
    history.replaceState(null, "", routeHash({ screen: "address", q: address }));
    validateAbort.abort();
    validateAbort = new AbortController();
    replace(result, h("p", { class: "small", "aria-busy": "true" }, "核验中…"));
    try {
      const r = await app.api.post<ValidateResult>("/v1/addresses/validate", { address }, validateAbort.signal);
      showResult(r);
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") return;
      replace(result, errorBox(err));
    }
  }

  function showResult(r: ValidateResult): void {
    const good = r.status === "matched";
    const neighbours = h("div", {});
    replace(result,
      h("h3", {}, "核验结果"),
      h("div", { class: "figures" },
        h("div", { class: "figure" }, h("b", { style: `color:var(${good ? "--good" : "--bad"})` }, nameOf(VALIDATE_STATUS, r.status)), h("span", {}, "结论")),
        h("div", { class: "figure" }, h("b", {}, nameOf(ADDRESS_LEVEL, r.level)), h("span", {}, "匹配到")),
        h("div", { class: "figure" }, h("b", {}, fmtScore(r.score)), h("span", {}, "得分"))),
      r.address ? h("p", { id: "addr-standard" }, h("span", { class: "small" }, "标准地址"), h("br"), h("b", {}, r.address.full),
        h("br"), h("span", { class: "small" }, `编码 ${r.address.code}`)) : null,
      r.issues.length ? h("ul", {}, r.issues.map((i) => h("li", {}, nameOf(ADDRESS_ISSUES, i.code), h("span", { class: "small" }, `（${i.message}）`)))) : null,
      r.candidates.length ? [h("h3", {}, "候选地址"), h("ul", { class: "list" }, r.candidates.map((c) =>
        h("li", {}, h("button", { type: "button", onclick: () => choose(c) },
          c.full, h("br"), h("span", { class: "small" }, `${nameOf(ADDRESS_LEVEL, c.level)} · 相似度 ${fmtScore(c.score)}`)))))] : null,
      neighbours);

    const focus: FocusFeature[] = [];
    if (r.address?.location) focus.push({ type: "Feature", geometry: r.address.location, properties: { role: "main", label: "标准地址" } });
    for (const c of r.candidates) if (c.location) focus.push({ type: "Feature", geometry: c.location, properties: { role: "candidate", label: `候选 ${fmtScore(c.score)}` } });
    void app.map().then((m) => {
      m.setFocus(focus);
      const pts = focus.map((f) => f.geometry.coordinates as [number, number]);
      if (pts.length === 1) m.flyTo(pts[0]!, 17);
      else if (pts.length > 1) {
        const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
        m.fitBounds([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]);
      }
    });

    const a = r.address ?? r.candidates[0];
    if (!a || !shows(app.me).entities) return;
    const q = a.building_id != null ? { building: a.building_id } : { address_code: a.code };
    replace(neighbours, h("h3", {}, r.address ? "同一楼栋登记的主体" : "首选候选楼栋登记的主体"), h("p", { class: "small" }, "加载中…"));
    app.api.get<Page<Entity>>("/v1/entities", { ...q, limit: 50 }, validateAbort.signal)
      .then((page) => replace(neighbours, h("h3", {}, `${r.address ? "同一楼栋" : "候选楼栋"}登记的主体（${page.items.length}${page.next ? "+" : ""}）`),
        page.items.length === 0 ? h("p", { class: "small" }, "无。") :
          h("ul", { class: "list", id: "addr-entities" }, page.items.map((e) =>
            h("li", {}, h("a", { class: "item", href: routeHash({ screen: "entity", uscc: e.uscc }) },
              e.name, h("br"), h("span", { class: "small" }, `${nameOf(ENTITY_STATUS, e.status)} · ${e.address_text}`)))))))
      .catch((err: unknown) => {
        if (!(err instanceof DOMException && err.name === "AbortError")) replace(neighbours, errorBox(err));
      });
  }

  void app.map().then((m) => m.setFocus([]));
  if (initial) void validate();
  input.focus();

  return () => {
    clearTimeout(timer);
    searchAbort.abort();
    validateAbort.abort();
    void app.map().then((m) => m.setFocus([]));
  };
}
