/** A JSON object (not null, not an array): what an unstructured Kubernetes object or field is. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
