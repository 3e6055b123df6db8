/**
 * Checks over a whole parsed file, before field validation: strings no Kubernetes object, process
 * environment or Helm value can carry, and a size Helm can store.
 */
import * as zlib from "zlib";
import { Problem, fieldKey } from "./problems";

/** A lone UTF-16 surrogate: not valid Unicode, so not encodable as the UTF-8 the API server requires. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function stringProblem(s: string): string | undefined {
  // C strings end at NUL: an environment variable cannot hold one, and runc refuses the container.
  if (s.includes("\0")) return "contains a NUL byte (\\0), which no environment variable, label or Helm value can carry";
  if (LONE_SURROGATE.test(s)) return "contains a lone UTF-16 surrogate, which is not valid Unicode";
  return undefined;
}

/** Every key and string value holding a NUL byte or invalid Unicode, by field path. */
export function unsafeStrings(value: unknown, file: string, path = ""): Problem[] {
  if (typeof value === "string") {
    const why = stringProblem(value);
    return why ? [{ source: file, field: path, message: why, hint: "remove it" }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => unsafeStrings(v, file, `${path}[${i}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => {
      const at = path ? `${path}.${fieldKey(k)}` : fieldKey(k);
      const keyWhy = stringProblem(k);
      const own: Problem[] = keyWhy ? [{ source: file, field: at, message: `the key ${keyWhy}`, hint: "rename the key" }] : [];
      return [...own, ...unsafeStrings(v, file, at)];
    });
  }
  return [];
}

/**
 * Helm keeps every release (values and chart) gzip-compressed and base64-encoded in a Secret,
 * which Kubernetes caps at 1 MiB (helm pkg/storage/driver/secrets.go, util.go encodeRelease).
 * The chart itself takes some of that: values are kept to 896 KiB encoded.
 */
export const HELM_VALUES_ENCODED_MAX = 896 * 1024;
/** Files smaller than this cannot reach the limit, so they are not compressed to check. */
const HELM_CHECK_FROM = 64 * 1024;

export function helmSizeProblem(doc: unknown, file: string, textLength: number): Problem | undefined {
  if (textLength < HELM_CHECK_FROM) return undefined;
  const encoded = Math.ceil(zlib.gzipSync(JSON.stringify(doc)).length / 3) * 4;
  if (encoded <= HELM_VALUES_ENCODED_MAX) return undefined;
  return {
    source: file,
    field: "",
    message: `its values would take ${encoded.toLocaleString("en-US")} bytes of Helm's release Secret, compressed and encoded; the Secret holds at most 1 MiB with the chart`,
    hint: "move large data out of env and annotations (into the image, or a ConfigMap of its own)",
  };
}
