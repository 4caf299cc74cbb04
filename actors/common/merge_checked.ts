/**
 * Checked merging of a configuration section over its defaults, shared by the main configuration and every role.
 *
 * @module
 */

/**
 * Merges a section over its defaults: every key must exist in the defaults and have the same type.
 *
 * @throws {TypeError} naming the file position of an unknown key or a value of the wrong type.
 */
export function mergeChecked<T extends object>(defaults: T, section: unknown, where: string): T {
  if (section === undefined) return { ...defaults };
  if (section === null || typeof section !== "object" || Array.isArray(section)) {
    throw new TypeError(`Cannot use ${where}: must be an object`);
  }
  const out: Record<string, unknown> = { ...defaults as Record<string, unknown> };
  for (const [key, value] of Object.entries(section)) {
    if (!(key in defaults)) {
      throw new TypeError(`Cannot use ${where}.${key}: unknown key; known: ${Object.keys(defaults).join(", ")}`);
    }
    const want = (defaults as Record<string, unknown>)[key];
    if (want !== null && typeof want === "object" && !Array.isArray(want)) {
      out[key] = mergeChecked(want as Record<string, unknown>, value, `${where}.${key}`);
    } else if (typeof value !== typeof want || Array.isArray(value) !== Array.isArray(want)) {
      throw new TypeError(`Cannot use ${where}.${key}: must be a ${typeof want}, got ${JSON.stringify(value)}`);
    } else {
      out[key] = value;
    }
  }
  return out as T;
}
