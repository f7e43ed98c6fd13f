import { describe, expect, it } from "vitest";
import {
  checkFilter, describe as describeFilter, formValues, fromJSON, fromQuery, isEmpty, polygonPoints, readForm, readState, stateQuery, toJSON, toQuery,
  type EntityFilter,
} from "../src/screening";

const POLYGON = { type: "Polygon", coordinates: [[[113.74, 23.04], [113.76, 23.04], [113.76, 23.06], [113.74, 23.06], [113.74, 23.04]]] };

/** FULL sets every parameter. */
const FULL: EntityFilter = {
  town: "441900003",
  village: "441900003001",
  grid: "441900003001001",
  industry: "F",
  kind: "individual",
  status: "active",
  registered_from: "2024-01-01",
  registered_to: "2025-12-31",
  inspected_before: "2025-06-01",
  inspected_after: "2024-06-01",
  inspection_outcome: "not_found",
  task_status: "overdue",
  flag_kind: "cluster_registration",
  flag_status: "confirmed",
  has_open_flag: false,
  same_building_as: "91441900300KNEJW75",
  same_phone_as: "92441900MA5J4R14DW",
  same_legal_rep_as: "91441900300KNEJW75",
  shared_phone_min: 3,
  shared_legal_rep_min: 5,
  building_entities_min: 20,
  polygon: POLYGON,
  near: { lon: 113.751234, lat: 23.046789, radius_m: 300 },
};

describe("round trips", () => {
  const filters: [string, EntityFilter][] = [
    ["every parameter", FULL],
    ["never inspected", { town: "441900003", never_inspected: true, status: "active" }],
    ["a buffer alone", { near: { lon: 113.7, lat: 23.0, radius_m: 5000 } }],
    ["a multipolygon", { polygon: { type: "MultiPolygon", coordinates: [POLYGON.coordinates, POLYGON.coordinates] } }],
    ["links only", { shared_phone_min: 2, building_entities_min: 1000 }],
    ["nothing", {}],
  ];
  for (const [name, f] of filters) {
    it(`JSON: ${name}`, () => expect(fromJSON(JSON.parse(JSON.stringify(toJSON(f))))).toEqual(f));
    it(`query: ${name}`, () => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(toQuery(f))) q.set(k, String(v));
      expect(fromQuery(new URLSearchParams(q.toString()))).toEqual(f);
    });
    it(`form: ${name}`, () => expect(readForm(formValues(f))).toEqual({ filter: f, errors: [] }));
    it(`address bar: ${name}`, () => expect(readState(stateQuery({ filter: f, saved: 42 }))).toEqual({ filter: f, saved: 42 }));
  }
});

describe("shapes", () => {
  it("JSON keeps near an object and the polygon a geometry, numbers and booleans as they are", () => {
    expect(toJSON({ near: { lon: 113.7, lat: 23, radius_m: 200 }, polygon: POLYGON, shared_phone_min: 3, has_open_flag: true })).toEqual({
      shared_phone_min: 3, has_open_flag: true, polygon: POLYGON, near: { lon: 113.7, lat: 23, radius_m: 200 },
    });
  });
  it("a query writes near as lon,lat,radius_m and the polygon as GeoJSON text", () => {
    const q = toQuery({ near: { lon: 113.7, lat: 23, radius_m: 200 }, polygon: POLYGON, never_inspected: true });
    expect(q).toEqual({ never_inspected: true, polygon: JSON.stringify(POLYGON), near: "113.7,23,200" });
  });
  it("coordinates are rounded to 6 decimals (0.1 m)", () => {
    const q = toQuery({ near: { lon: 113.123456789, lat: 23.987654321, radius_m: 10 } });
    expect(q["near"]).toBe("113.123457,23.987654,10");
  });
  it("a false never_inspected filters nothing and is left out", () => expect(toJSON({ never_inspected: false })).toEqual({}));
  it("a false has_open_flag filters (entities without one)", () => expect(toJSON({ has_open_flag: false })).toEqual({ has_open_flag: false }));
  it("isEmpty", () => {
    expect(isEmpty({})).toBe(true);
    expect(isEmpty({ never_inspected: false, town: "" })).toBe(true);
    expect(isEmpty({ kind: "enterprise" })).toBe(false);
  });
});

describe("reading what others wrote", () => {
  it("fromJSON keeps the well-formed known parameters", () => {
    expect(fromJSON({ town: "4419", kind: "enterprise", status: "closed", shared_phone_min: 1, limit: 100, cursor: "x", near: { lon: 1 } }))
      .toEqual({ kind: "enterprise" });
  });
  it("fromJSON of nothing", () => {
    expect(fromJSON(null)).toEqual({});
    expect(fromJSON("town=441900003")).toEqual({});
  });
  it("fromQuery drops malformed values", () => {
    const p = new URLSearchParams("never_inspected=yes&shared_phone_min=two&near=113,23&polygon=%7Bbad&industry=F&grid=123");
    expect(fromQuery(p)).toEqual({ industry: "F" });
  });
  it("readState ignores a malformed saved id", () => expect(readState("saved=abc&kind=enterprise")).toEqual({ filter: { kind: "enterprise" } }));
});

describe("readForm", () => {
  it("blank controls filter nothing", () => expect(readForm({ town: "", kind: "", near_lon: "", near_lat: "", near_radius: "500" })).toEqual({ filter: {}, errors: [] }));
  it("a USCC is taken in capitals", () =>
    expect(readForm({ same_phone_as: " 92441900ma5j4r14dw " }).filter).toEqual({ same_phone_as: "92441900MA5J4R14DW" }));
  const bad: [string, Record<string, string>, string][] = [
    ["a malformed USCC", { same_building_as: "12345" }, "same_building_as"],
    ["a count below 2", { shared_phone_min: "1" }, "shared_phone_min"],
    ["a count above 1000", { building_entities_min: "1001" }, "building_entities_min"],
    ["a radius too large", { near_lon: "113.7", near_lat: "23", near_radius: "5001" }, "near"],
    ["a centre without a radius", { near_lon: "113.7", near_lat: "23", near_radius: "" }, "near"],
    ["a malformed date", { registered_from: "2024-13-01" }, "registered_from"],
    ["never inspected with a last inspection date", { never_inspected: "true", inspected_before: "2025-01-01" }, "never_inspected"],
    ["registration dates reversed", { registered_from: "2025-01-01", registered_to: "2024-01-01" }, "registered_to"],
    ["a polygon that is not one", { polygon: '{"type":"Point","coordinates":[1,2]}' }, "polygon"],
  ];
  for (const [name, values, field] of bad) {
    it(name, () => expect(readForm(values).errors.map((e) => e.field)).toEqual([field]));
  }
  it("checkFilter passes a good filter", () => expect(checkFilter(FULL)).toEqual([]));
});

describe("describe", () => {
  it("names the conditions in Chinese", () => {
    expect(describeFilter({ town: "441900003", status: "active", never_inspected: true, has_open_flag: false, polygon: POLYGON, near: { lon: 1, lat: 2, radius_m: 300 } },
      (c) => (c === "441900003" ? "东城街道" : undefined)))
      .toEqual(["镇街 东城街道", "状态 在营", "从未检查", "有待处理预警：否", "多边形（4 点）", "缓冲区 300 米"]);
  });
  it("an industry and a task status", () => expect(describeFilter({ industry: "H", task_status: "open" })).toEqual(["行业 住宿和餐饮业", "任务状态 未办结"]));
  it("polygonPoints", () => expect(polygonPoints(POLYGON)).toBe(4));
});
