import { describe, expect, it } from "vitest";
import { parseRoute, routeHash, type Route } from "../src/router";

describe("parseRoute", () => {
  const cases: [string, Route][] = [
    ["", { screen: "coverage" }],
    ["#/", { screen: "coverage" }],
    ["#/coverage", { screen: "coverage" }],
    ["#/layers", { screen: "layers" }],
    ["#/layers/buildings", { screen: "layers", layer: "buildings" }],
    ["#/address", { screen: "address" }],
    ["#/address?q=%E9%B8%BF%E7%A6%8F%E8%B7%AF88%E5%8F%B7", { screen: "address", q: "鸿福路88号" }],
    ["#/entity/92441900MA5J4R14DW", { screen: "entity", uscc: "92441900MA5J4R14DW" }],
    ["#/entity/92441900ma5j4r14dw", { screen: "entity", uscc: "92441900MA5J4R14DW" }],
    ["#/entity/not-a-code", { screen: "coverage" }],
    ["#/nowhere", { screen: "coverage" }],
    ["#/entity/%E0%A4%A", { screen: "coverage" }],
  ];
  for (const [hash, want] of cases) it(JSON.stringify(hash), () => expect(parseRoute(hash)).toEqual(want));
});

describe("routeHash", () => {
  const routes: Route[] = [
    { screen: "coverage" },
    { screen: "layers" },
    { screen: "layers", layer: "coverage_hex" },
    { screen: "address", q: "东城街道 鸿福路88号" },
    { screen: "entity", uscc: "91441900300KNEJW75" },
  ];
  for (const r of routes) it(`round-trips ${JSON.stringify(r)}`, () => expect(parseRoute(routeHash(r))).toEqual(r));
});

describe("statistics and screening routes", () => {
  const cases: [string, Route][] = [
    ["#/stats", { screen: "stats" }],
    ["#/stats?town=441900003&from=2025-01&to=2025-12", { screen: "stats", town: "441900003", from: "2025-01", to: "2025-12" }],
    // A village names its town.
    ["#/stats?village=441900003001", { screen: "stats", town: "441900003", village: "441900003001" }],
    ["#/stats?town=441900118&village=441900003001", { screen: "stats", town: "441900118" }],
    ["#/stats?town=4419&from=2025-13", { screen: "stats" }],
    ["#/screening", { screen: "screening" }],
    ["#/screening?status=active&near=113.7,23,500", { screen: "screening", q: "status=active&near=113.7,23,500" }],
  ];
  for (const [hash, want] of cases) it(JSON.stringify(hash), () => expect(parseRoute(hash)).toEqual(want));
  const routes: Route[] = [
    { screen: "stats" },
    { screen: "stats", town: "441900003", village: "441900003001", from: "2024-01", to: "2024-06" },
    { screen: "screening", q: "saved=3" },
  ];
  for (const r of routes) it(`round-trips ${JSON.stringify(r)}`, () => expect(parseRoute(routeHash(r))).toEqual(r));
});
