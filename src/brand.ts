/**
 * `instanceof` that holds across every copy of poe-ts loaded in one process. The ESM and CJS
 * builds each define their own classes, so by the prototype chain an error thrown by one build
 * is not an instance of the other's `PoeError`, nor its kernel a `Kernel`. A branded class puts a
 * registry symbol (`Symbol.for`, the same in every copy) on its prototype and answers
 * `instanceof` by looking for it, as undici does for its errors. Each class has its own brand and
 * a subclass's prototype inherits its parent's, so the checks stay exact: a PoeArgumentError is
 * a PoeError, a PoeError is not a PoeArgumentError.
 *
 * Internal: classes call `brand` once (in a static block) and answer `Symbol.hasInstance` with
 * `isBranded(this, value)`.
 */

const brands = new WeakMap<object, symbol>();
const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

/** Marks `cls` and its instances with `Symbol.for(key)`. */
export function brand(cls: abstract new (...args: never[]) => object, key: string): void {
  const symbol = Symbol.for(key);
  brands.set(cls, symbol);
  Object.defineProperty(cls.prototype, symbol, { value: true });
}

/**
 * True when `value` carries `cls`'s brand. A class without its own brand (a user's subclass of
 * a branded class, which inherits the static `Symbol.hasInstance`) gets the ordinary
 * prototype-chain answer, so `instanceof` on it means what it always means.
 */
export function isBranded(cls: object, value: unknown): boolean {
  const symbol = brands.get(cls);
  if (symbol === undefined) return ordinaryHasInstance.call(cls, value);
  return (typeof value === 'object' || typeof value === 'function') && value !== null && (value as Record<symbol, unknown>)[symbol] === true;
}
