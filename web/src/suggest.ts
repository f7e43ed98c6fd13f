// The keyboard logic of a type-ahead list, kept out of the DOM.

/** moveIndex moves a highlight by delta through n items, wrapping, with -1 for none. */
export function moveIndex(current: number, delta: number, n: number): number {
  if (n <= 0) return -1;
  if (current < 0) return delta > 0 ? 0 : n - 1;
  return (((current + delta) % n) + n) % n;
}

/** worthAsking reports whether a query is long enough to search for (two characters, or one CJK). */
export function worthAsking(q: string): boolean {
  const t = q.trim();
  return t.length >= 2 || /[\u4e00-\u9fff]/.test(t);
}
