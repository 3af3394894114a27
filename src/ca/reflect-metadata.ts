/**
 * Minimal Reflect metadata API. @peculiar/x509 2.x resolves its algorithm providers through
 * tsyringe, which refuses to load unless `Reflect.getMetadata` exists (the library's README asks
 * for the `reflect-metadata` package, which this project does not depend on). This installs the
 * five functions tsyringe and tslib call, and only when no polyfill is present already.
 * src/ca/x509.ts imports it before '@peculiar/x509'.
 */

type MetadataKey = unknown;
type PropertyKeyOrNone = string | symbol | undefined;

const store = new WeakMap<object, Map<PropertyKeyOrNone, Map<MetadataKey, unknown>>>();

function table(target: object, property: PropertyKeyOrNone, create: boolean): Map<MetadataKey, unknown> | undefined {
  let byProperty = store.get(target);
  if (byProperty === undefined) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let entries = byProperty.get(property);
  if (entries === undefined && create) {
    entries = new Map();
    byProperty.set(property, entries);
  }
  return entries;
}

const api = {
  defineMetadata(key: MetadataKey, value: unknown, target: object, property?: string | symbol): void {
    table(target, property, true)?.set(key, value);
  },
  getOwnMetadata(key: MetadataKey, target: object, property?: string | symbol): unknown {
    return table(target, property, false)?.get(key);
  },
  hasOwnMetadata(key: MetadataKey, target: object, property?: string | symbol): boolean {
    return table(target, property, false)?.has(key) ?? false;
  },
  getMetadata(key: MetadataKey, target: object, property?: string | symbol): unknown {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const entries = table(t, property, false);
      if (entries?.has(key)) return entries.get(key);
    }
    return undefined;
  },
  metadata(key: MetadataKey, value: unknown) {
    return (target: object, property?: string | symbol): void => api.defineMetadata(key, value, target, property);
  },
};

if (typeof (Reflect as unknown as Record<string, unknown>)['getMetadata'] !== 'function') {
  Object.assign(Reflect, api);
}
