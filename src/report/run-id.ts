import { randomBytes } from 'node:crypto';

/** A fresh, label-safe run id: 20261126-071502-3fa9. */
export function newRunId(now = new Date()): string {
  const iso = now.toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}-${randomBytes(2).toString('hex')}`;
}
