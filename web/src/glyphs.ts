// Package glyphs draws MapLibre's glyph PBFs in the browser from local
// system fonts, so that text labels render with no font server and no
// internet: the style's `glyphs` points at the `glyphs://` protocol and
// registerGlyphProtocol answers it with TinySDF and pbf.
//
// The format is MapLibre's (and Mapbox's) glyph PBF:
//
//	message glyphs   { repeated fontstack stacks = 1; }
//	message fontstack { string name = 1; string range = 2; repeated glyph glyphs = 3; }
//	message glyph    { uint32 id = 1; bytes bitmap = 2; uint32 width = 3; uint32 height = 4;
//	                   sint32 left = 5; sint32 top = 6; uint32 advance = 7; }
//
// A glyph's bitmap is an SDF of (width + 6) × (height + 6) bytes: the glyph
// drawn at 24 px with a 3-pixel buffer on every side, which is what MapLibre's
// parser (readGlyph: `width: width + 6`) expects.

import { PbfReader, PbfWriter } from "pbf";

/** GLYPH_SIZE is the font size, in pixels, that glyph PBFs are drawn at. */
export const GLYPH_SIZE = 24;
/** GLYPH_BUFFER is the border, in pixels, around each glyph's SDF. */
export const GLYPH_BUFFER = 3;
/**
 * GLYPH_BASELINE is what MapLibre subtracts from a glyph's ascent to get
 * `top` (its local TinySDF path uses `glyphTop - 27` at 24 px: the 24 px
 * line box plus the 3 px buffer).
 */
export const GLYPH_BASELINE = 27;

/** FONT_FAMILIES are the local fonts labels are drawn with, best first. */
export const FONT_FAMILIES = [
  "Noto Sans CJK SC",
  "Source Han Sans SC",
  "Microsoft YaHei",
  "PingFang SC",
  "WenQuanYi Micro Hei",
  "sans-serif",
];

/** Glyph is one code point's SDF and metrics, as the PBF carries it. */
export interface Glyph {
  id: number;
  /** bitmap has (width + 6) × (height + 6) bytes; absent for an empty glyph (a space). */
  bitmap?: Uint8Array;
  width: number;
  height: number;
  left: number;
  top: number;
  advance: number;
}

/** Fontstack is one stack's glyphs for one range. */
export interface Fontstack {
  name: string;
  range: string;
  glyphs: Glyph[];
}

/** SDFGlyph is what TinySDF's draw returns (@mapbox/tiny-sdf 2.x). */
export interface SDFGlyph {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
  glyphWidth: number;
  glyphHeight: number;
  glyphTop: number;
  glyphLeft: number;
  glyphAdvance: number;
}

/** Rasterizer draws one character; TinySDF is one. */
export interface Rasterizer {
  draw(char: string): SDFGlyph;
}

/** encodeGlyphs writes a glyph PBF holding one fontstack. */
export function encodeGlyphs(stack: Fontstack): Uint8Array {
  const pbf = new PbfWriter();
  pbf.writeMessage(1, writeFontstack, stack);
  return pbf.finish();
}

function writeFontstack(stack: Fontstack, pbf: PbfWriter): void {
  pbf.writeStringField(1, stack.name);
  pbf.writeStringField(2, stack.range);
  for (const g of stack.glyphs) pbf.writeMessage(3, writeGlyph, g);
}

function writeGlyph(g: Glyph, pbf: PbfWriter): void {
  pbf.writeVarintField(1, g.id);
  if (g.bitmap && g.bitmap.length > 0) pbf.writeBytesField(2, g.bitmap);
  pbf.writeVarintField(3, g.width);
  pbf.writeVarintField(4, g.height);
  pbf.writeSVarintField(5, g.left);
  pbf.writeSVarintField(6, g.top);
  pbf.writeVarintField(7, g.advance);
}

/** decodeGlyphs reads a glyph PBF back; the tests use it to check encodeGlyphs. */
export function decodeGlyphs(buf: Uint8Array | ArrayBuffer): Fontstack[] {
  const pbf = new PbfReader(buf);
  return pbf.readFields<Fontstack[]>((tag, stacks, p) => {
    if (tag === 1) stacks.push(p.readMessage(readFontstack, { name: "", range: "", glyphs: [] }));
  }, []);
}

function readFontstack(tag: number, s: Fontstack, p: PbfReader): void {
  if (tag === 1) s.name = p.readString();
  else if (tag === 2) s.range = p.readString();
  else if (tag === 3) s.glyphs.push(p.readMessage(readGlyph, { id: 0, width: 0, height: 0, left: 0, top: 0, advance: 0 }));
}

function readGlyph(tag: number, g: Glyph, p: PbfReader): void {
  switch (tag) {
    case 1: g.id = p.readVarint(); break;
    case 2: g.bitmap = p.readBytes(); break;
    case 3: g.width = p.readVarint(); break;
    case 4: g.height = p.readVarint(); break;
    case 5: g.left = p.readSVarint(); break;
    case 6: g.top = p.readSVarint(); break;
    case 7: g.advance = p.readVarint(); break;
  }
}

/**
 * glyphFromSDF turns TinySDF's output (drawn at GLYPH_SIZE with
 * GLYPH_BUFFER) into a PBF glyph. An empty glyph (a space) keeps its
 * advance and has no bitmap, as font servers write it.
 */
export function glyphFromSDF(id: number, sdf: SDFGlyph): Glyph {
  const advance = Math.max(0, Math.round(sdf.glyphAdvance));
  if (sdf.glyphWidth === 0 || sdf.glyphHeight === 0) {
    return { id, width: 0, height: 0, left: 0, top: -GLYPH_BASELINE, advance };
  }
  const want = (sdf.glyphWidth + 2 * GLYPH_BUFFER) * (sdf.glyphHeight + 2 * GLYPH_BUFFER);
  if (sdf.width !== sdf.glyphWidth + 2 * GLYPH_BUFFER || sdf.data.length !== want) {
    throw new Error(`glyphs: U+${id.toString(16)}: SDF of ${sdf.width}×${sdf.height} does not have a ${GLYPH_BUFFER}px buffer`);
  }
  return {
    id,
    bitmap: new Uint8Array(sdf.data.buffer, sdf.data.byteOffset, sdf.data.length),
    width: sdf.glyphWidth,
    height: sdf.glyphHeight,
    left: sdf.glyphLeft,
    top: sdf.glyphTop - GLYPH_BASELINE,
    advance,
  };
}

/** parseRange reads a range name such as "256-511" (256 code points starting at a multiple of 256). */
export function parseRange(range: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(range);
  if (!m) throw new Error(`glyphs: bad range ${JSON.stringify(range)}`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start % 256 !== 0 || end !== start + 255 || end > 0x10ffff) {
    throw new Error(`glyphs: bad range ${JSON.stringify(range)}`);
  }
  return [start, end];
}

/** drawable reports whether a code point is worth drawing: not a control character or a lone surrogate. */
export function drawable(cp: number): boolean {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return false;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  return true;
}

/** renderRange draws every drawable code point of a range and encodes the PBF. */
export function renderRange(stack: string, range: string, r: Rasterizer): Uint8Array {
  const [start, end] = parseRange(range);
  const glyphs: Glyph[] = [];
  for (let cp = start; cp <= end; cp++) {
    if (!drawable(cp)) continue;
    glyphs.push(glyphFromSDF(cp, r.draw(String.fromCodePoint(cp))));
  }
  return encodeGlyphs({ name: stack, range, glyphs });
}

/** fontWeight guesses a CSS weight from a fontstack name such as "Noto Sans Bold". */
export function fontWeight(stack: string): string {
  if (/\b(bold|heavy|black)\b/i.test(stack)) return "bold";
  if (/\b(medium|semibold)\b/i.test(stack)) return "500";
  if (/\blight\b/i.test(stack)) return "300";
  return "normal";
}

/** cssFamilies quotes a family list for the CSS font shorthand. */
export function cssFamilies(families: readonly string[]): string {
  return families.map((f) => (/^[\w-]+$/.test(f) ? f : `"${f}"`)).join(", ");
}

/** GLYPHS_URL is the style's `glyphs` for registerGlyphProtocol. */
export const GLYPHS_URL = "glyphs://{fontstack}/{range}";

/** parseGlyphURL splits glyphs://{fontstack}/{range} (MapLibre URL-encodes the stack). */
export function parseGlyphURL(url: string): { stack: string; range: string } {
  const m = /^glyphs:\/\/([^/]+)\/(\d+-\d+)(?:\.pbf)?$/.exec(url);
  if (!m) throw new Error(`glyphs: bad URL ${url}`);
  return { stack: decodeURIComponent(m[1]!), range: m[2]! };
}

type ProtocolFn = (
  params: { url: string },
  abort: AbortController,
) => Promise<{ data: ArrayBuffer }>;

/**
 * registerGlyphProtocol answers glyphs:// requests with PBFs drawn from
 * local fonts. newRasterizer builds one TinySDF per weight (kept, since
 * building one allocates its canvas and grids).
 */
export function registerGlyphProtocol(
  addProtocol: (name: string, fn: ProtocolFn) => void,
  newRasterizer: (weight: string) => Rasterizer,
): void {
  const byWeight = new Map<string, Rasterizer>();
  addProtocol("glyphs", async ({ url }) => {
    const { stack, range } = parseGlyphURL(url);
    const weight = fontWeight(stack);
    let r = byWeight.get(weight);
    if (!r) {
      r = newRasterizer(weight);
      byWeight.set(weight, r);
    }
    const bytes = renderRange(stack, range, r);
    return { data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer };
  });
}
