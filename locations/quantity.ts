/**
 * Kubernetes resource quantities, read exactly. The grammar is apimachinery's
 * (k8s.io/apimachinery/pkg/api/resource/quantity.go):
 *
 *   <quantity> ::= <sign>? <number> <suffix>      <number> ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
 *   <suffix>   ::= Ki | Mi | Gi | Ti | Pi | Ei | n | u | m | "" | k | M | G | T | P | E | (e|E)<sign>?<digits>
 *
 * Values are kept as exact fractions (BigInt), never floats: Kubernetes silently caps a quantity
 * above 2^63-1 and rounds up one finer than its precision, so both are refused rather than
 * compared approximately.
 */

const GRAMMAR = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** The largest magnitude a quantity holds (int64); larger ones are capped to it. */
export const QUANTITY_MAX = 2n ** 63n - 1n;
/** An exponent beyond this can only be too large or too fine to hold. */
const EXPONENT_BOUND = 60;

/** value = (negative ? -1 : 1) * num / den, with den a power of ten. */
export interface Quantity {
  negative: boolean;
  num: bigint;
  den: bigint;
}

export type QuantityParse = { ok: true; value: Quantity } | { ok: false; reason: string };

/** Parses a quantity exactly, or says why it is not one Kubernetes keeps as written. */
export function parseQuantity(text: string): QuantityParse {
  const m = GRAMMAR.exec(text);
  if (!m || (m[2] + (m[3] ?? "")).length === 0) return { ok: false, reason: "it is not a Kubernetes quantity" };
  const [, sign, int, frac = "", suffix = ""] = m;
  const mantissa = BigInt(int + frac);
  let exp10 = -frac.length;
  let exp2 = 0;
  if (suffix in BINARY) exp2 = BINARY[suffix];
  else if (suffix in DECIMAL) exp10 += DECIMAL[suffix];
  else exp10 += Number(suffix.slice(1));
  if (mantissa === 0n) return { ok: true, value: { negative: false, num: 0n, den: 1n } };
  if (exp10 > EXPONENT_BOUND) return { ok: false, reason: "it is larger than the largest quantity Kubernetes holds (2^63-1); Kubernetes would cap it" };
  if (exp10 < -EXPONENT_BOUND) return { ok: false, reason: "it is finer than Kubernetes keeps (1n); Kubernetes would round it up" };
  const scaled = mantissa * 2n ** BigInt(exp2);
  const value: Quantity = { negative: sign === "-", num: scaled * 10n ** BigInt(Math.max(exp10, 0)), den: 10n ** BigInt(Math.max(-exp10, 0)) };
  if (value.num > QUANTITY_MAX * value.den) return { ok: false, reason: "it is larger than the largest quantity Kubernetes holds (2^63-1); Kubernetes would cap it" };
  if (!isMultipleOf(value, 1n, 1_000_000_000n)) return { ok: false, reason: "it is finer than Kubernetes keeps (1n); Kubernetes would round it up" };
  return { ok: true, value };
}

/** Whether the quantity is a whole multiple of unitNum/unitDen (e.g. 1/1000 for millicores). */
export function isMultipleOf(q: Quantity, unitNum: bigint, unitDen: bigint): boolean {
  // q / unit = (num * unitDen) / (den * unitNum) must be whole.
  return (q.num * unitDen) % (q.den * unitNum) === 0n;
}

/** -1, 0 or 1 as a < b, a = b, a > b. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  const sa = a.negative ? -1n : 1n;
  const sb = b.negative ? -1n : 1n;
  const left = sa * a.num * b.den;
  const right = sb * b.num * a.den;
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * A valid, non-negative quantity as a number (cores, bytes), for sums of many requests such as a
 * branch's quota check, where float precision is ample; undefined when Kubernetes would refuse it.
 */
export function quantityNumber(text: string): number | undefined {
  const parsed = parseQuantity(text);
  if (!parsed.ok || parsed.value.negative) return undefined;
  return Number(parsed.value.num) / Number(parsed.value.den);
}
