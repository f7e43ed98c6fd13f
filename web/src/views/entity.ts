// 主体详情: one market entity (GET /v1/entities/{uscc}): its link, building
// and grid on the map, its tasks, inspection timeline, leads and flags, with
// review actions on the flags (POST /v1/flags/{id}/review). The operator's
// name, phone and ID number come masked; a role holding `unmask` may show
// them in full (GET /v1/entities/{uscc}?unmask=true), which the server
// writes to the audit log.

import { shows } from "../access";
import type { App, Cleanup } from "../app";
import type { Entity, Flag, Page, Point } from "../api";
import { h, replace, errorBox } from "../dom";
import { dateTime, date, ago, score as fmtScore } from "../format";
import type { FocusFeature } from "../mapview";
import {
  ADDRESS_LEVEL, ENTITY_KIND, ENTITY_STATUS, FLAG_KINDS, FLAG_STATUS, INSPECTION_OUTCOME, LEAD_STATUS,
  REVIEW_DECISION, TASK_KIND, TASK_STATUS, nameOf, reviewDecisions,
} from "../names";

interface Task { id: number; kind: string; status: string; due_at: string; pushed_at: string; assignee: string; reason: string }
interface Inspection { id: number; at: string; inspector: string; outcome: string; notes: string; location: Point | null }
interface Lead { id: number; category: string; status: string; description: string; created_at: string }
interface EntityDetail extends Entity {
  scope?: string;
  // null from the server when the role may not read them; [] once loaded
  tasks: Task[];
  inspections: Inspection[];
  leads: Lead[];
  flags?: Flag[];
}
interface GeoFeature { type: "Feature"; geometry: { type: string; coordinates: unknown } | null }

const REVIEWER_KEY = "gridsentry.reviewer";

/** Contact is an entity's personal data, masked or in full. */
interface Contact { legal_rep: string; phone: string; id_number: string }

function contactOf(e: Entity): Contact {
  return { legal_rep: e.legal_rep ?? "", phone: e.phone ?? "", id_number: e.id_number ?? "" };
}

export function renderEntity(app: App, uscc: string): Cleanup {
  app.layout("map");
  const may = shows(app.me);
  const abort = new AbortController();
  // The personal data in full, once asked for: kept for this page, so a
  // reload after a review neither masks it again nor asks (and logs) twice.
  let full: Contact | null = null;
  replace(app.side, h("h2", {}, "主体详情"), h("p", { class: "small", "aria-busy": "true" }, "加载中…"));

  const load = (): void => {
    // The entity's flags of every status (the detail carries the open ones only).
    Promise.all([
      app.api.get<EntityDetail>(`/v1/entities/${encodeURIComponent(uscc)}`, undefined, abort.signal),
      may.flags ? app.api.get<Page<Flag>>("/v1/flags", { uscc, limit: 50 }, abort.signal) : null,
    ])
      .then(([e, flags]) => {
        // The server sends null for the lists the role may not read.
        e.tasks ??= [];
        e.inspections ??= [];
        e.leads ??= [];
        e.flags = flags?.items ?? [];
        show(e);
        void showOnMap(e);
      })
      .catch((err: unknown) => {
        if (!(err instanceof DOMException && err.name === "AbortError")) replace(app.side, h("h2", {}, "主体详情"), errorBox(err));
      });
  };

  function show(e: EntityDetail): void {
    const l = e.link;
    const flags = e.flags ?? [];
    replace(app.side,
      h("h2", { id: "entity-name" }, e.name),
      h("p", { class: "small" }, `${e.uscc} · ${nameOf(ENTITY_KIND, e.kind)} · ${nameOf(ENTITY_STATUS, e.status)} · ${e.industry_name ?? e.industry ?? "行业未知"}`),
      h("p", {}, h("span", { class: "small" }, "登记地址"), h("br"), e.address_text),
      h("p", { class: "small" }, `成立 ${date(e.registered_at)} · 上次检查 ${ago(e.last_inspected_at)}`),
      contact(e),
      h("h3", {}, "地址关联"),
      l ? h("p", {}, `${nameOf(ADDRESS_LEVEL, l.level)}级 · 得分 ${fmtScore(l.score)} · 地址编码 ${l.address_code || "—"}`, h("br"),
        h("span", { class: "small" }, `网格 ${l.grid_code ?? "—"} · 楼栋 ${l.building_id ?? "—"}`)) : h("p", { class: "small" }, "尚未关联标准地址。"),
      may.flags ? section(`预警（${flags.length}）`, flags.length === 0 ? null : h("ul", { class: "list", id: "entity-flags" }, flags.map(flagItem))) : null,
      !may.tasks ? null : section(`任务（${e.tasks.length}）`, e.tasks.length === 0 ? null : h("ul", { class: "list" }, e.tasks.map((t) =>
        h("li", {}, `${nameOf(TASK_KIND, t.kind)} · ${nameOf(TASK_STATUS, t.status)}`, h("br"),
          h("span", { class: "small" }, `推送 ${dateTime(t.pushed_at)} · 期限 ${dateTime(t.due_at)} · ${t.assignee}`))))),
      !may.tasks ? null : section(`检查记录（${e.inspections.length}）`, e.inspections.length === 0 ? null : h("ol", { class: "list timeline" },
        [...e.inspections].sort((a, b) => b.at.localeCompare(a.at)).map((i) =>
          h("li", {}, h("b", {}, dateTime(i.at)), ` ${nameOf(INSPECTION_OUTCOME, i.outcome)}`, h("br"),
            h("span", { class: "small" }, `${i.inspector}${i.notes ? ` · ${i.notes}` : ""}`))))),
      !may.leads ? null : section(`线索（${e.leads.length}）`, e.leads.length === 0 ? null : h("ul", { class: "list" }, e.leads.map((x) =>
        h("li", {}, `${x.category} · ${nameOf(LEAD_STATUS, x.status)}`, h("br"), h("span", { class: "small" }, `${dateTime(x.created_at)} · ${x.description}`))))));
  }

  /** contact shows the operator's name, phone and ID number, and the button that unmasks them. */
  function contact(e: Entity): HTMLElement {
    const c = full ?? contactOf(e);
    const msg = h("div", { role: "status" });
    const button = may.unmask && !full
      ? h("button", { type: "button", id: "unmask" }, "显示完整信息")
      : null;
    const box = h("section", { id: "entity-contact", "aria-label": "联系信息" },
      h("dl", { class: "contact" },
        h("dt", {}, "法定代表人"), h("dd", { id: "entity-legal-rep" }, c.legal_rep || "—"),
        h("dt", {}, "联系电话"), h("dd", { id: "entity-phone" }, c.phone || "—"),
        h("dt", {}, "证件号码"), h("dd", { id: "entity-id-number" }, c.id_number || "—")),
      h("p", { class: "small", id: "unmask-note" }, full
        ? "已显示完整信息；本次查看已记入审计日志（审计）。"
        : may.unmask ? "个人信息已脱敏。显示完整信息会记入审计日志（审计）。" : "个人信息已脱敏。"),
      button, msg);
    button?.addEventListener("click", () => {
      button.disabled = true;
      app.api.get<Entity>(`/v1/entities/${encodeURIComponent(uscc)}`, { unmask: true }, abort.signal)
        .then((u) => {
          full = contactOf(u);
          box.replaceWith(contact(u));
        })
        .catch((err: unknown) => {
          if (err instanceof DOMException && err.name === "AbortError") return;
          replace(msg, errorBox(err));
          button.disabled = false;
        });
    });
    return box;
  }

  function flagItem(f: Flag): HTMLElement {
    const decisions = may.review ? reviewDecisions(f.status) : [];
    const item = h("li", { "data-flag": f.id },
      h("p", {}, h("span", { class: "score" }, f.score), `${nameOf(FLAG_KINDS, f.kind)} · ${nameOf(FLAG_STATUS, f.status)}`, h("br"),
        f.title, h("br"), h("span", { class: "small" }, `提出 ${dateTime(f.raised_at)}`)));
    if (decisions.length === 0) return item;
    const reviewer = h("input", { type: "text", id: `rv-who-${f.id}`, value: localStorage.getItem(REVIEWER_KEY) ?? "", required: true, maxlength: 100 });
    const reason = h("input", { type: "text", id: `rv-why-${f.id}`, required: true, maxlength: 2000 });
    const msg = h("div", { role: "status" });
    const form = h("form", { class: "review", "aria-label": `审核预警 ${f.id}` },
      h("div", { class: "row" },
        h("div", {}, h("label", { for: `rv-who-${f.id}` }, "审核人"), reviewer),
        h("div", {}, h("label", { for: `rv-why-${f.id}` }, "理由"), reason)),
      h("p", { class: "row" }, decisions.map((d, i) =>
        h("button", { type: "submit", value: d, class: i === 0 ? "primary" : "", "data-decision": d }, REVIEW_DECISION[d] ?? d))),
      msg);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const submitter = (ev as SubmitEvent).submitter as HTMLButtonElement | null;
      const decision = submitter?.value ?? decisions[0];
      if (!reviewer.value.trim() || !reason.value.trim()) {
        replace(msg, h("p", { class: "error", role: "alert" }, "请填写审核人和理由。"));
        (reviewer.value.trim() ? reason : reviewer).focus();
        return;
      }
      localStorage.setItem(REVIEWER_KEY, reviewer.value.trim());
      for (const b of form.querySelectorAll("button")) b.disabled = true;
      app.api.post<Flag>(`/v1/flags/${f.id}/review`, { decision, reviewer: reviewer.value.trim(), reason: reason.value.trim() })
        .then((updated) => {
          replace(msg, h("p", { class: "small" }, `已${REVIEW_DECISION[decision!] ?? decision}：${nameOf(FLAG_STATUS, updated.status)}`));
          load();
        })
        .catch((err: unknown) => {
          replace(msg, errorBox(err));
          for (const b of form.querySelectorAll("button")) b.disabled = false;
        });
    });
    item.append(form);
    return item;
  }

  async function showOnMap(e: EntityDetail): Promise<void> {
    const m = await app.map();
    const l = e.link;
    const focus: FocusFeature[] = [];
    const outlines = await Promise.all([
      l?.building_id != null ? app.api.get<GeoFeature>(`/v1/buildings/${l.building_id}`, undefined, abort.signal).catch(() => null) : null,
      l?.grid_code ? app.api.get<GeoFeature>(`/v1/grids/${l.grid_code}`, undefined, abort.signal).catch(() => null) : null,
    ]);
    for (const o of outlines) if (o?.geometry) focus.push({ type: "Feature", geometry: o.geometry, properties: { role: "other" } });
    for (const i of e.inspections) if (i.location) focus.push({ type: "Feature", geometry: i.location, properties: { role: "other", label: date(i.at) } });
    if (l?.location) focus.push({ type: "Feature", geometry: l.location, properties: { role: "main", label: e.name } });
    m.setFocus(focus);
    if (l?.location) m.flyTo(l.location.coordinates, 17);
  }

  load();
  return () => {
    abort.abort();
    void app.map().then((m) => m.setFocus([]));
  };
}

function section(title: string, body: HTMLElement | null): HTMLElement {
  return h("section", {}, h("h3", {}, title), body ?? h("p", { class: "small" }, "无。"));
}
