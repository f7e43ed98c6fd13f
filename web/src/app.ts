// What the screens share: the API client, who is signed in, the main map
// (made once, on first use), the side panel and the page area, and the
// coverage filter.

import type { Me } from "./access";
import type { Auth, Client, Division } from "./api";
import { NO_FILTER, type CoverageFilter } from "./coverage";
import { MapView } from "./mapview";
import { TOGGLES } from "./style";

export class App {
  private mapPromise?: Promise<MapView>;
  private townsPromise?: Promise<Division[]>;
  filter: CoverageFilter = { ...NO_FILTER };
  toggles = new Map(TOGGLES.map((t) => [t.id, t.on]));

  constructor(
    readonly api: Client,
    readonly auth: Auth,
    readonly me: Me,
    readonly side: HTMLElement,
    readonly mapEl: HTMLElement,
    readonly page: HTMLElement,
  ) {}

  /** map gives the main map, making it the first time. */
  map(): Promise<MapView> {
    this.mapPromise ??= MapView.create(this.api, this.auth, this.mapEl);
    return this.mapPromise;
  }

  /** towns gives the towns (GET /v1/divisions?level=town), fetched once. */
  towns(): Promise<Division[]> {
    this.townsPromise ??= this.api
      .get<{ features: Division[] }>("/v1/divisions", { level: "town" })
      .then((fc) => fc.features)
      .catch((err: unknown) => {
        this.townsPromise = undefined;
        throw err;
      });
    return this.townsPromise;
  }

  /** layout shows the side panel with the map, or the page alone. */
  layout(kind: "map" | "page"): void {
    this.side.hidden = kind !== "map";
    this.mapEl.hidden = kind !== "map";
    this.page.hidden = kind !== "page";
    if (kind === "map") void this.mapPromise?.then((m) => m.resize());
  }
}

/** Screen renders one route; it returns what to do when the route changes. */
export type Cleanup = () => void;
