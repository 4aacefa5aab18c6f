import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseYamlStream, readTextFile, type YamlSource } from '../config/yaml-source.js';
import { inputError, type SourceLocation } from '../errors.js';
import { packagePath } from '../util/package-root.js';
import { isPlainObject } from '../util/plain-object.js';
import type { JsonSchema } from './json-schema.js';
import { schemaProblem } from './schema-check.js';

export type Scope = 'Namespaced' | 'Cluster';

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: JsonSchema | undefined;
  hasStatusSubresource: boolean;
  /** file position of a node of the schema, by its path below openAPIV3Schema */
  locateSchema: (path: ReadonlyArray<PropertyKey>) => SourceLocation;
}

export interface Crd {
  name: string;
  group: string;
  kind: string;
  plural: string;
  scope: Scope;
  versions: CrdVersion[];
  /** file:line where it was read, for messages */
  origin: string;
}

const LEGACY_SCHEMA_PATH = ['spec', 'validation', 'openAPIV3Schema'];

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Read a CRD the way real clusters hold them: apiextensions v1 (per-version schemas) or the legacy
 * v1beta1 shape (one top-level validation schema), missing types, preserve-unknown-fields and all.
 */
export function parseCrd(doc: Record<string, unknown>, source: YamlSource, docPath: PropertyKey[] = []): Crd {
  const fail = (path: PropertyKey[], message: string): never => {
    throw inputError(`invalid CustomResourceDefinition: ${message}`, {
      location: source.locate([...docPath, ...path]),
      hint: 'a CRD needs spec.group, spec.names.kind/plural, spec.scope and spec.versions',
    });
  };
  const spec = isPlainObject(doc.spec) ? doc.spec : fail(['spec'], 'spec is missing');
  const group = str(spec.group) ?? fail(['spec'], 'spec.group is missing');
  const names = isPlainObject(spec.names) ? spec.names : fail(['spec'], 'spec.names is missing');
  const kind = str(names.kind) ?? fail(['spec', 'names'], 'spec.names.kind is missing');
  const plural = str(names.plural) ?? fail(['spec', 'names'], 'spec.names.plural is missing');
  const scope = spec.scope === 'Cluster' || spec.scope === 'Namespaced' ? spec.scope : undefined;
  if (scope === undefined)
    fail(['spec', 'scope'], `spec.scope must be Namespaced or Cluster (got ${JSON.stringify(spec.scope)})`);

  const legacySchema = isPlainObject(spec.validation) ? spec.validation.openAPIV3Schema : undefined;
  const checkedSchema = (schema: unknown, at: PropertyKey[]): JsonSchema | undefined => {
    if (!isPlainObject(schema)) return undefined;
    const problem = schemaProblem(schema);
    if (problem) {
      throw inputError(`invalid CustomResourceDefinition ${kind}: ${problem.message}`, {
        location: source.locate([...docPath, ...at, ...problem.path]),
        hint: 'the API server accepts only structural schemas with OpenAPI types and RE2 patterns',
      });
    }
    return schema as JsonSchema;
  };
  const legacyStatus = isPlainObject(spec.subresources) && 'status' in spec.subresources;
  let versions: CrdVersion[];
  if (Array.isArray(spec.versions) && spec.versions.length > 0) {
    versions = spec.versions.map((raw, index) => {
      if (!isPlainObject(raw))
        return fail(['spec', 'versions', index], `spec.versions[${index}] is not an object`);
      const name =
        str(raw.name) ?? fail(['spec', 'versions', index], `spec.versions[${index}].name is missing`);
      const own = isPlainObject(raw.schema) ? raw.schema.openAPIV3Schema : undefined;
      const schemaHolder = own ?? legacySchema;
      const schemaPath = own ? ['spec', 'versions', index, 'schema', 'openAPIV3Schema'] : LEGACY_SCHEMA_PATH;
      return {
        name,
        served: raw.served !== false,
        storage: raw.storage === true,
        schema: checkedSchema(schemaHolder, schemaPath),
        hasStatusSubresource:
          (isPlainObject(raw.subresources) && 'status' in raw.subresources) || legacyStatus,
        locateSchema: (path) => source.locate([...docPath, ...schemaPath, ...path]),
      };
    });
  } else if (str(spec.version)) {
    versions = [
      {
        name: spec.version as string,
        served: true,
        storage: true,
        schema: checkedSchema(legacySchema, LEGACY_SCHEMA_PATH),
        hasStatusSubresource: legacyStatus,
        locateSchema: (path) => source.locate([...docPath, ...LEGACY_SCHEMA_PATH, ...path]),
      },
    ];
  } else {
    return fail(['spec'], 'spec.versions is missing or empty');
  }
  const metadata = isPlainObject(doc.metadata) ? doc.metadata : {};
  const location = source.locate(docPath);
  return {
    name: str(metadata.name) ?? `${plural}.${group}`,
    group,
    kind,
    plural,
    scope: scope as Scope,
    versions,
    origin: `${source.file}:${location.line ?? 1}`,
  };
}

function isCrdDocument(value: unknown): value is Record<string, unknown> {
  return (
    isPlainObject(value) &&
    value.kind === 'CustomResourceDefinition' &&
    typeof value.apiVersion === 'string' &&
    value.apiVersion.startsWith('apiextensions.k8s.io/')
  );
}

/** Every CRD in a YAML/JSON file (multi-document streams and `kind: List` included). */
export async function loadCrdFile(file: string, displayName = file): Promise<Crd[]> {
  const sources = parseYamlStream(displayName, await readTextFile(file, 'CRD file'));
  const crds: Crd[] = [];
  const seenKinds: string[] = [];
  for (const source of sources) {
    const value = source.value;
    if (isCrdDocument(value)) {
      crds.push(parseCrd(value, source));
    } else if (isPlainObject(value) && Array.isArray(value.items)) {
      value.items.forEach((item, index) => {
        if (isCrdDocument(item)) crds.push(parseCrd(item, source, ['items', index]));
      });
    } else if (isPlainObject(value)) {
      seenKinds.push(String(value.kind ?? 'no kind'));
    }
  }
  if (crds.length === 0) {
    const first = sources[0];
    throw inputError(
      `not a CustomResourceDefinition: found ${seenKinds.length === 0 ? 'no objects' : `kind ${seenKinds.join(', ')}`}`,
      {
        location: first ? first.locate(['kind']) : { file: displayName },
        hint: 'pass a file with apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition (kubectl get crd NAME -o yaml)',
      },
    );
  }
  return crds;
}

const builtinFiles = new Map<string, Promise<Crd[]>>();
let builtinIndex: Promise<Array<{ name: string; kinds: string[] }>> | undefined;

/** The kind of a CRD file as controller-gen writes it (spec.names.kind), without parsing the YAML. */
const NAMES_KIND = /^ {2}names:\n(?: {4}.*\n)*? {4}kind: (\S+)$/gm;

/** The built-in CRD files and the kinds each declares: a text scan, so only needed files are parsed. */
function builtinFileIndex(): Promise<Array<{ name: string; kinds: string[] }>> {
  builtinIndex ??= (async () => {
    const dir = packagePath('crds');
    const files = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
    return Promise.all(
      files.map(async (name) => ({
        name,
        kinds: [...(await readFile(join(dir, name), 'utf8')).matchAll(NAMES_KIND)].map((m) => m[1] as string),
      })),
    );
  })();
  return builtinIndex;
}

function builtinFile(name: string): Promise<Crd[]> {
  let loaded = builtinFiles.get(name);
  if (!loaded) {
    loaded = loadCrdFile(packagePath('crds', name), `built-in crds/${name}`);
    builtinFiles.set(name, loaded);
  }
  return loaded;
}

/**
 * The CRDs shipped in crds/ (the VitiStack API module's), or only those declaring one of `kinds`:
 * parsing YAML with positions costs about 70 ms per CRD, and a scenario needs a few of the 14.
 */
export async function builtinCrds(kinds?: Iterable<string>): Promise<Crd[]> {
  const wanted = kinds === undefined ? undefined : new Set(kinds);
  const files = (await builtinFileIndex()).filter(
    (file) => wanted === undefined || file.kinds.some((kind) => wanted.has(kind)),
  );
  return (await Promise.all(files.map((file) => builtinFile(file.name)))).flat();
}

export interface ResolvedKind {
  crd: Crd;
  version: CrdVersion;
}

/** Looks kinds up by apiVersion + kind; user CRDs (--crd) take precedence over built-in ones. */
export class CrdRegistry {
  private readonly byKey = new Map<string, ResolvedKind>();

  constructor(crds: Iterable<Crd> = []) {
    for (const crd of crds) this.add(crd);
  }

  add(crd: Crd): void {
    for (const version of crd.versions) {
      this.byKey.set(`${crd.group}/${version.name}/${crd.kind}`, { crd, version });
    }
  }

  find(apiVersion: string, kind: string): ResolvedKind | undefined {
    return this.byKey.get(`${apiVersion}/${kind}`);
  }

  kinds(): string[] {
    return [...this.byKey.keys()].sort();
  }

  /** `builtinKinds`: the kinds to look up among the built-in CRDs (all when omitted, none when false). */
  static async create(
    userCrdFiles: ReadonlyArray<string>,
    builtinKinds?: Iterable<string> | false,
  ): Promise<CrdRegistry> {
    const registry = new CrdRegistry(builtinKinds === false ? [] : await builtinCrds(builtinKinds));
    for (const file of userCrdFiles) {
      for (const crd of await loadCrdFile(file)) registry.add(crd);
    }
    return registry;
  }
}
