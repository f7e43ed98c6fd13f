import { describe, expect, it } from "vitest";
import {
  GLYPH_BUFFER,
  decodeGlyphs,
  drawable,
  encodeGlyphs,
  fontWeight,
  glyphFromSDF,
  parseGlyphURL,
  parseRange,
  registerGlyphProtocol,
  renderRange,
  type Rasterizer,
  type SDFGlyph,
} from "../src/glyphs";

// fakeSDF stands in for TinySDF: a glyph w×h with the 3 px buffer, bytes numbered.
function fakeSDF(w: number, h: number, top = 18, left = 1, advance = 12.4): SDFGlyph {
  const width = w === 0 || h === 0 ? 2 * GLYPH_BUFFER : w + 2 * GLYPH_BUFFER;
  const height = w === 0 || h === 0 ? 2 * GLYPH_BUFFER : h + 2 * GLYPH_BUFFER;
  const data = new Uint8ClampedArray(width * height).map((_, i) => i % 256);
  return { data, width, height, glyphWidth: w, glyphHeight: h, glyphTop: top, glyphLeft: left, glyphAdvance: advance };
}

const fake: Rasterizer = {
  draw: (c) => (c === " " ? fakeSDF(0, 0, 0, 0, 6.6) : fakeSDF(10, 17, 17, -1, 13.2)),
};

describe("encodeGlyphs", () => {
  it("round-trips every field", () => {
    const bitmap = new Uint8Array((10 + 6) * (17 + 6)).map((_, i) => i % 251);
    const glyph = { id: 0x4e1c, bitmap, width: 10, height: 17, left: -2, top: -9, advance: 24 };
    const space = { id: 32, width: 0, height: 0, left: 0, top: -27, advance: 7 };
    const got = decodeGlyphs(encodeGlyphs({ name: "Noto Sans Regular", range: "19968-20223", glyphs: [glyph, space] }));
    expect(got).toHaveLength(1);
    expect(got[0]!.name).toBe("Noto Sans Regular");
    expect(got[0]!.range).toBe("19968-20223");
    expect(got[0]!.glyphs).toHaveLength(2);
    const g = got[0]!.glyphs[0]!;
    expect({ ...g, bitmap: undefined }).toEqual({ ...glyph, bitmap: undefined });
    expect(Array.from(g.bitmap!)).toEqual(Array.from(bitmap));
    // negative left and top survive as sint32 (zig-zag)
    expect(g.left).toBe(-2);
    expect(g.top).toBe(-9);
    const s = got[0]!.glyphs[1]!;
    expect(s.bitmap).toBeUndefined();
    expect(s.advance).toBe(7);
  });
});

describe("glyphFromSDF", () => {
  it("keeps TinySDF's bitmap and shifts top to MapLibre's baseline", () => {
    const g = glyphFromSDF(65, fakeSDF(10, 17, 17, 1, 13.6));
    expect(g).toMatchObject({ id: 65, width: 10, height: 17, left: 1, top: 17 - 27, advance: 14 });
    expect(g.bitmap!.length).toBe((10 + 6) * (17 + 6));
  });
  it("writes an empty glyph without a bitmap", () => {
    const g = glyphFromSDF(32, fakeSDF(0, 0, 0, 0, 6.6));
    expect(g.bitmap).toBeUndefined();
    expect(g).toMatchObject({ width: 0, height: 0, advance: 7 });
  });
  it("refuses an SDF drawn with another buffer", () => {
    const sdf = fakeSDF(10, 10);
    expect(() => glyphFromSDF(65, { ...sdf, width: sdf.width + 2 })).toThrow(/buffer/);
  });
});

describe("parseRange", () => {
  it("reads a range of 256", () => expect(parseRange("256-511")).toEqual([256, 511]));
  for (const bad of ["", "0-256", "1-256", "abc", "0-255-1"]) {
    it(`refuses ${JSON.stringify(bad)}`, () => expect(() => parseRange(bad)).toThrow());
  }
});

describe("renderRange", () => {
  it("draws the printable code points of the range", () => {
    const [stack] = decodeGlyphs(renderRange("Noto Sans Regular", "0-255", fake));
    const ids = stack!.glyphs.map((g) => g.id);
    expect(ids).toContain(32);
    expect(ids).toContain(65);
    expect(ids).not.toContain(10);
    expect(ids).not.toContain(0x80);
    expect(ids.length).toBe(256 - 32 - 33);
    const a = stack!.glyphs.find((g) => g.id === 65)!;
    // MapLibre reads bitmap as (width + 6) × (height + 6)
    expect(a.bitmap!.length).toBe((a.width + 6) * (a.height + 6));
  });
  it("skips surrogates", () => {
    expect(drawable(0xd800)).toBe(false);
    expect(drawable(0x4e1c)).toBe(true);
  });
});

describe("protocol", () => {
  it("parses the URL MapLibre asks for", () => {
    expect(parseGlyphURL("glyphs://Noto%20Sans%20Bold/0-255")).toEqual({ stack: "Noto Sans Bold", range: "0-255" });
    expect(parseGlyphURL("glyphs://A,B/256-511.pbf")).toEqual({ stack: "A,B", range: "256-511" });
  });
  it("guesses the weight from the stack", () => {
    expect(fontWeight("Noto Sans Bold")).toBe("bold");
    expect(fontWeight("Noto Sans Regular")).toBe("normal");
  });
  it("answers with a PBF and keeps one rasterizer per weight", async () => {
    let made = 0;
    let handler: ((p: { url: string }, a: AbortController) => Promise<{ data: ArrayBuffer }>) | undefined;
    registerGlyphProtocol(
      (name, fn) => {
        expect(name).toBe("glyphs");
        handler = fn;
      },
      () => {
        made++;
        return fake;
      },
    );
    const a = await handler!({ url: "glyphs://Noto%20Sans%20Regular/0-255" }, new AbortController());
    await handler!({ url: "glyphs://Noto%20Sans%20Regular/256-511" }, new AbortController());
    expect(made).toBe(1);
    expect(decodeGlyphs(a.data)[0]!.name).toBe("Noto Sans Regular");
  });
});
