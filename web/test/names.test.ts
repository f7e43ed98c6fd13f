import { describe, expect, it } from "vitest";
import { FLAG_KINDS, nameOf } from "../src/names";

describe("nameOf", () => {
  it("names a known code", () => expect(nameOf(FLAG_KINDS, "blind_spot")).toBe("监管盲点"));
  it("falls back to the code", () => expect(nameOf(FLAG_KINDS, "new_rule")).toBe("new_rule"));
  it("says — for nothing", () => expect(nameOf(FLAG_KINDS, null)).toBe("—"));
});
