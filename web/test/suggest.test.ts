import { describe, expect, it } from "vitest";
import { moveIndex, worthAsking } from "../src/suggest";

describe("moveIndex", () => {
  it("starts at the top going down", () => expect(moveIndex(-1, 1, 5)).toBe(0));
  it("starts at the bottom going up", () => expect(moveIndex(-1, -1, 5)).toBe(4));
  it("wraps", () => {
    expect(moveIndex(4, 1, 5)).toBe(0);
    expect(moveIndex(0, -1, 5)).toBe(4);
  });
  it("has none in an empty list", () => expect(moveIndex(2, 1, 0)).toBe(-1));
});

describe("worthAsking", () => {
  it("asks for one Chinese character", () => expect(worthAsking("厚")).toBe(true));
  it("not for one Latin letter", () => expect(worthAsking("a")).toBe(false));
  it("not for blanks", () => expect(worthAsking("   ")).toBe(false));
});
