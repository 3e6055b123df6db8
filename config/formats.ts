/** Formats of config values that several parts of the configuration check. */
export const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
export const HOST = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
export const GCP_PROJECT = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
export const STACK_REF = /^[A-Za-z0-9][-A-Za-z0-9_.]*\/[A-Za-z0-9][-A-Za-z0-9_.]*\/[A-Za-z0-9][-A-Za-z0-9_.]*$/;
export const GIT_SHA = /^[0-9a-f]{7,40}$/;
export const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why a value is not an IPv4 CIDR range, or undefined when it is one. */
export function cidrProblem(value: string): string | undefined {
  const m = CIDR.exec(value);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) return `"${value}" is not an IPv4 CIDR range such as 10.10.0.0/20`;
  return undefined;
}
/** A Google service account email: <6-30 character id>@<project>.iam.gserviceaccount.com. */
export const GCP_SERVICE_ACCOUNT = /^[a-z][-a-z0-9]{4,28}[a-z0-9]@[a-z][-a-z0-9]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/;
