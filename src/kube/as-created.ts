import { isPlainObject } from '../util/plain-object.js';
import { RUN_ID_LABEL } from './labels.js';
import type { WatchedObject } from './watch.js';

/**
 * An object as its creator wrote it, to create it again (churn): its kind, spec and other top-level
 * fields, and only the labels and annotations its creator set. Who set what comes from managedFields:
 * the creator is the manager that owns the run-id label. What controllers added — annotations that
 * record their progress, finalizers, status — is left out, so the controller meets the new object as
 * it met the first one.
 */

type Fields = Record<string, unknown>;

interface ManagedEntry {
  manager?: string;
  subresource?: string;
  fieldsV1?: Fields;
}

const SERVER_METADATA = new Set([
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'finalizers',
  'ownerReferences',
  'selfLink',
]);

/** The keys of a label or annotation map that an entry's fieldsV1 owns ("f:key"). */
function ownedKeys(entry: ManagedEntry, map: 'f:labels' | 'f:annotations'): Set<string> {
  const metadata = entry.fieldsV1?.['f:metadata'];
  const owned = isPlainObject(metadata) ? metadata[map] : undefined;
  if (!isPlainObject(owned)) return new Set();
  return new Set(Object.keys(owned).flatMap((key) => (key.startsWith('f:') ? [key.slice(2)] : [])));
}

function keep(map: unknown, owned: Set<string> | undefined): Record<string, string> | undefined {
  if (!isPlainObject(map)) return undefined;
  const kept = Object.fromEntries(
    Object.entries(map).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string' && (!owned || owned.has(entry[0])),
    ),
  );
  return Object.keys(kept).length > 0 ? kept : undefined;
}

export function asCreated(object: WatchedObject): WatchedObject {
  const { metadata = {}, status: _status, ...top } = object;
  const meta = metadata as Fields;
  const entries = Array.isArray(meta.managedFields) ? (meta.managedFields as ManagedEntry[]) : [];
  // without managedFields nothing says who set what: keep them all
  const creator = entries.find(
    (entry) => !entry.subresource && ownedKeys(entry, 'f:labels').has(RUN_ID_LABEL),
  );
  const labels = keep(meta.labels, creator ? ownedKeys(creator, 'f:labels') : undefined);
  const annotations = keep(meta.annotations, creator ? ownedKeys(creator, 'f:annotations') : undefined);
  const rest = Object.fromEntries(
    Object.entries(meta).filter(
      ([key]) => !SERVER_METADATA.has(key) && key !== 'labels' && key !== 'annotations',
    ),
  );
  return {
    ...top,
    metadata: { ...rest, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
  };
}
