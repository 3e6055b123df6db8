import { Props } from "./types";

/**
 * Readers for untyped resource properties. Policies receive whatever the program or the provider
 * wrote, so every read tolerates a missing or oddly typed value instead of throwing.
 */
export function record(value: unknown): Props | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Props) : undefined;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** The value at `path` under `value`, or undefined as soon as a step is not an object. */
export function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    const obj = record(current);
    if (!obj) return undefined;
    current = obj[key];
  }
  return current;
}

/** Keys of a map-valued property. `Object.keys` reads no values, so unknown values (preview) never trip it. */
export function keysOf(value: unknown): string[] {
  const obj = record(value);
  return obj ? Object.keys(obj) : [];
}

/** Go template truthiness of a scalar, which is what `{{ if .Values.x }}` tests: the string "false" is true. */
export function helmTruthy(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== 0 && value !== "";
}
