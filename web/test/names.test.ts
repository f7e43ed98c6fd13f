import { describe, expect, it } from "vitest";
import { FLAG_KINDS, nameOf } from "../src/names";

describe("nameOf", () => {
  it("names a known code", () => expect(nameOf(FLAG_KINDS, "blind_spot")).toBe("监管盲点"));
  it("falls back to the code", () => expect(nameOf(FLAG_KINDS, "new_rule")).toBe("new_rule"));
  it("says — for nothing", () => expect(nameOf(FLAG_KINDS, null)).toBe("—"));
});

import { reviewDecisions } from "../src/names";

describe("reviewDecisions", () => {
  it("an open flag is confirmed or dismissed", () => expect(reviewDecisions("open")).toEqual(["confirm", "dismiss"]));
  it("a dismissed flag is reopened", () => expect(reviewDecisions("dismissed")).toEqual(["reopen"]));
  it("a resolved flag takes no review", () => expect(reviewDecisions("resolved")).toEqual([]));
});
