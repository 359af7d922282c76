/**
 * Opaque cursors of paginated lists: base64url of a small JSON object. Clients pass back what they were
 * given; what is inside (a last key) can change without breaking them.
 */
export function encodeCursor(after: string | number): string {
  return Buffer.from(JSON.stringify({ a: after }), 'utf8').toString('base64url');
}

/** The key after which the page starts; undefined for a cursor that was not made here. */
export function decodeCursor(cursor: string): string | number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const after = (parsed as { a?: unknown } | null)?.a;
    return typeof after === 'string' || typeof after === 'number' ? after : undefined;
  } catch {
    return undefined;
  }
}
