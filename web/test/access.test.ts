import { describe, expect, it } from "vitest";
import { can, forbiddenText, mayOpen, roleName, shows, townOptions, whoText, type Me, type Shows } from "../src/access";

// The permissions of each role, as GET /v1/me lists them (auth.Permissions).
const PERMISSIONS: Record<string, string[]> = {
  clerk: ["read_library", "read_tiles", "read_entities", "write_entities"],
  inspector: ["read_library", "read_tiles", "read_entities", "read_flags", "read_tasks", "write_tasks", "write_inspections", "read_leads"],
  grid_manager: ["read_library", "read_tiles", "read_entities", "read_flags", "review_flags", "read_tasks", "write_tasks",
    "write_inspections", "read_leads", "handle_leads", "export", "read_stats", "save_filters"],
  department: ["read_library", "read_tiles", "read_entities", "read_flags", "read_tasks", "write_tasks", "write_inspections",
    "read_leads", "handle_leads", "read_stats", "save_filters"],
  coordinator: ["read_library", "read_tiles", "read_entities", "read_flags", "review_flags", "read_tasks", "write_tasks",
    "read_leads", "handle_leads", "manage_campaigns", "export", "read_stats", "save_filters", "unmask"],
  gis: ["read_library", "write_library", "read_tiles", "read_stats"],
  admin: ["read_library", "write_library", "read_tiles", "read_entities", "write_entities", "read_flags", "review_flags",
    "read_tasks", "write_tasks", "write_inspections", "read_leads", "handle_leads", "manage_campaigns", "manage_rules",
    "export", "read_stats", "save_filters", "unmask", "read_audit", "manage_tokens"],
};

function me(role: string, town = "", department = ""): Me {
  return { token_id: 7, role, town_code: town, department, permissions: PERMISSIONS[role] ?? [] };
}

const TOWNS = [
  { code: "441900003", name: "东城街道" },
  { code: "441900118", name: "厚街镇" },
];

describe("roleName", () => {
  const cases: [string, string][] = [
    ["clerk", "登记员"],
    ["inspector", "巡查员"],
    ["grid_manager", "网格管理员"],
    ["department", "部门"],
    ["coordinator", "协调中心"],
    ["gis", "GIS"],
    ["admin", "管理员"],
    ["auditor", "auditor"], // a role added to the server later shows by its code
  ];
  for (const [role, want] of cases) it(role, () => expect(roleName(role)).toBe(want));
});

describe("whoText", () => {
  it("a city-wide admin", () => expect(whoText(me("admin"))).toBe("管理员 · 全市"));
  it("a town's grid manager, by the town's name", () =>
    expect(whoText(me("grid_manager", "441900118"), (c) => TOWNS.find((t) => t.code === c)?.name)).toBe("网格管理员 · 厚街镇"));
  it("a town's code until the names are known", () => expect(whoText(me("grid_manager", "441900118"))).toBe("网格管理员 · 441900118"));
  it("a department officer", () => expect(whoText(me("department", "", "market_permit"))).toBe("部门 · 全市 · market_permit"));
  it("a null town is city-wide", () => expect(whoText({ ...me("coordinator"), town_code: null })).toBe("协调中心 · 全市"));
});

describe("townOptions", () => {
  it("a city-wide token chooses among all towns", () =>
    expect(townOptions(me("coordinator"), TOWNS)).toEqual([
      { value: "", label: "全市" },
      { value: "441900003", label: "东城街道" },
      { value: "441900118", label: "厚街镇" },
    ]));
  it("a town-scoped token sees its own town only", () =>
    expect(townOptions(me("grid_manager", "441900118"), TOWNS)).toEqual([{ value: "441900118", label: "厚街镇" }]));
  it("a town-scoped token before the towns are known", () =>
    expect(townOptions(me("grid_manager", "441900118"), [])).toEqual([{ value: "441900118", label: "441900118" }]));
});

describe("shows", () => {
  const cases: [string, Shows][] = [
    ["clerk", { flags: false, review: false, entities: true, tasks: false, leads: false, unmask: false, export: false, saveFilters: false }],
    ["inspector", { flags: true, review: false, entities: true, tasks: true, leads: true, unmask: false, export: false, saveFilters: false }],
    ["grid_manager", { flags: true, review: true, entities: true, tasks: true, leads: true, unmask: false, export: true, saveFilters: true }],
    ["department", { flags: true, review: false, entities: true, tasks: true, leads: true, unmask: false, export: false, saveFilters: true }],
    ["coordinator", { flags: true, review: true, entities: true, tasks: true, leads: true, unmask: true, export: true, saveFilters: true }],
    ["gis", { flags: false, review: false, entities: false, tasks: false, leads: false, unmask: false, export: false, saveFilters: false }],
    ["admin", { flags: true, review: true, entities: true, tasks: true, leads: true, unmask: true, export: true, saveFilters: true }],
  ];
  for (const [role, want] of cases) it(role, () => expect(shows(me(role))).toEqual(want));
  it("follows the permissions the server lists, not the role's name", () =>
    expect(shows({ ...me("admin"), permissions: ["read_tiles"] }).review).toBe(false));
});

describe("mayOpen", () => {
  it("GIS staff have the map, the address check and the layers, not entity pages", () => {
    const gis = me("gis");
    expect(["coverage", "address", "layers", "entity"].map((s) => mayOpen(gis, s as never))).toEqual([true, true, true, false]);
  });
  it("the statistics need read_stats, the screening read_entities", () => {
    const screens = ["stats", "screening"] as const;
    const cases: [string, boolean[]][] = [
      ["clerk", [false, true]],
      ["inspector", [false, true]],
      ["grid_manager", [true, true]],
      ["department", [true, true]],
      ["gis", [true, false]],
      ["admin", [true, true]],
    ];
    for (const [role, want] of cases) expect(screens.map((s) => mayOpen(me(role), s)), role).toEqual(want);
  });
  it("a token with no permissions opens nothing", () => {
    const none = { ...me("clerk"), permissions: [] };
    expect(["coverage", "address", "layers", "entity", "stats", "screening"].some((s) => mayOpen(none, s as never))).toBe(false);
  });
  it("can", () => expect(can(me("coordinator"), "unmask")).toBe(true));
  it("forbiddenText names the role", () => expect(forbiddenText(me("gis"), "使用此页面")).toBe("当前角色（GIS）无权使用此页面。"));
});
