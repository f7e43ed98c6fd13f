// Who is signed in (GET /v1/me) and what the console shows them: a control
// whose route needs a permission the role lacks is left out, so the
// console never asks for what the server would refuse.

/** Me is GET /v1/me: the caller's token, role, scope and permissions. */
export interface Me {
  token_id: number;
  role: string;
  /** the 9-digit town the token is limited to; "" (or null) for city-wide */
  town_code: string | null;
  department: string | null;
  permissions: string[];
}

/** The permissions the console's routes need (auth.Permission). */
export type Permission =
  | "read_library" | "read_tiles" | "read_entities" | "read_flags" | "review_flags"
  | "read_tasks" | "read_leads" | "export" | "read_stats" | "save_filters" | "unmask";

export const ROLE_NAMES: Record<string, string> = {
  clerk: "登记员",
  inspector: "巡查员",
  grid_manager: "网格管理员",
  department: "部门",
  coordinator: "协调中心",
  gis: "GIS",
  admin: "管理员",
};

/** roleName is a role's Chinese name, or its code for a role the console does not know. */
export function roleName(role: string): string {
  return ROLE_NAMES[role] ?? role;
}

/** can reports whether the signed-in token holds perm. */
export function can(me: Me, perm: Permission): boolean {
  return me.permissions.includes(perm);
}

/** townScoped reports whether the token is limited to one town. */
export function townScoped(me: Me): boolean {
  return !!me.town_code;
}

/** whoText names the signed-in role and scope for the header: "网格管理员 · 厚街镇". */
export function whoText(me: Me, townName?: (code: string) => string | undefined): string {
  const parts = [roleName(me.role)];
  if (me.town_code) parts.push(townName?.(me.town_code) ?? me.town_code);
  else parts.push("全市");
  if (me.department) parts.push(me.department);
  return parts.join(" · ");
}

/**
 * townOptions are the choices of the town filter: every town after
 * "全市" for a city-wide token, the token's own town alone otherwise.
 */
export function townOptions(me: Me, towns: { code: string; name: string }[]): { value: string; label: string }[] {
  if (me.town_code) {
    const own = towns.find((t) => t.code === me.town_code);
    return [{ value: me.town_code, label: own?.name ?? me.town_code }];
  }
  return [{ value: "", label: "全市" }, ...towns.map((t) => ({ value: t.code, label: t.name }))];
}

/** Screen is a screen of the router. */
export type Screen = "coverage" | "address" | "entity" | "layers" | "stats" | "screening";

/** SCREEN_NEEDS is the permission each screen cannot work without. */
const SCREEN_NEEDS: Record<Screen, Permission> = {
  coverage: "read_tiles",
  address: "read_library",
  entity: "read_entities",
  layers: "read_tiles",
  stats: "read_stats",
  screening: "read_entities",
};

/** mayOpen reports whether the role may use a screen at all. */
export function mayOpen(me: Me, screen: Screen): boolean {
  return can(me, SCREEN_NEEDS[screen]);
}

/** Shows is what parts of the screens the role sees. */
export interface Shows {
  /** open flags on the coverage map, flags on the entity page */
  flags: boolean;
  /** confirm, dismiss and reopen a flag */
  review: boolean;
  /** entity lists (blind spots, the building's entities) and links to entity pages */
  entities: boolean;
  /** an entity's tasks and inspections */
  tasks: boolean;
  /** an entity's leads */
  leads: boolean;
  /** the button that shows an entity's personal data in full (audited) */
  unmask: boolean;
  /** export buttons (csv, geojson, ndjson) of a screen's results */
  export: boolean;
  /** save, update and delete saved filters */
  saveFilters: boolean;
}

/** shows derives what the role sees from its permissions. */
export function shows(me: Me): Shows {
  return {
    flags: can(me, "read_flags"),
    review: can(me, "review_flags"),
    entities: can(me, "read_entities"),
    tasks: can(me, "read_tasks"),
    leads: can(me, "read_leads"),
    unmask: can(me, "unmask"),
    export: can(me, "export"),
    saveFilters: can(me, "save_filters"),
  };
}

/** forbiddenText says the role may not use a screen or part of one. */
export function forbiddenText(me: Me, what: string): string {
  return `当前角色（${roleName(me.role)}）无权${what}。`;
}
