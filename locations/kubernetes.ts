/**
 * Kubernetes' own validation rules for the fields a code-location file sets, written out from
 * k8s.io/apimachinery/pkg/util/validation/validation.go (names, label keys and values) and
 * k8s.io/apimachinery/pkg/api/validation/objectmeta.go (annotation sizes). Each returns why a
 * value breaks the rule, or undefined.
 */

import { excerpt } from "./problems";

/** `qualifiedNameFmt`: alphanumeric at both ends, `-`, `_` and `.` between. */
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** RFC 1123 subdomain (IsDNS1123Subdomain). */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const LABEL_VALUE_MAX = 63;
export const QUALIFIED_NAME_MAX = 63;
export const SUBDOMAIN_MAX = 253;
/** TotalAnnotationSizeLimitB: the keys and values of an object's annotations, in bytes. */
export const ANNOTATIONS_TOTAL_MAX = 256 * 1024;

/** IsQualifiedName: `[prefix/]name`, one slash at most, the prefix a DNS subdomain, the name at most 63. */
export function qualifiedNameError(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return `the key ${excerpt(key)} has ${parts.length - 1} slashes; a Kubernetes key is [prefix/]name with at most one`;
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined && (prefix.length > SUBDOMAIN_MAX || !SUBDOMAIN.test(prefix))) {
    return `the prefix ${excerpt(prefix)} must be a DNS subdomain (lowercase, at most ${SUBDOMAIN_MAX} characters)`;
  }
  if (name.length > QUALIFIED_NAME_MAX || !QUALIFIED_NAME.test(name)) {
    return `the name ${excerpt(name)} must be 1-${QUALIFIED_NAME_MAX} characters of letters, digits, "-", "_" or ".", starting and ending alphanumeric`;
  }
  return undefined;
}

/**
 * Label and annotation keys under kubernetes.io/ and k8s.io/ (and their subdomains) are reserved
 * for Kubernetes core components (kubernetes.io/docs/concepts/overview/working-with-objects/labels).
 */
export function reservedPrefixError(key: string): string | undefined {
  const [prefix, ...rest] = key.split("/");
  if (rest.length === 0) return undefined;
  if (/(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix)) return `the prefix "${prefix}" is reserved for Kubernetes itself; use a prefix of your own (e.g. acme.com/)`;
  return undefined;
}

/** IsValidLabelValue: empty, or at most 63 characters, alphanumeric at both ends. */
export function labelValueError(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > LABEL_VALUE_MAX || !QUALIFIED_NAME.test(value)) {
    return `a label value must be at most ${LABEL_VALUE_MAX} characters of letters, digits, "-", "_" or ".", starting and ending alphanumeric`;
  }
  return undefined;
}

export function isSubdomainName(name: string): boolean {
  return name.length <= SUBDOMAIN_MAX && SUBDOMAIN.test(name);
}

/** ValidateAnnotationsSize: the total of every key's and value's length, in bytes. */
export function annotationsSize(annotations: Readonly<Record<string, string>>): number {
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) total += Buffer.byteLength(k) + Buffer.byteLength(v);
  return total;
}

/** Environment variable names as POSIX shells and Dagster's `{env: X}` read them. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
