/** IPv4 CIDR ranges of the VPC: each valid and canonical, no two overlapping. */

export interface Cidr {
  /** The first address, as an unsigned 32-bit number. */
  start: number;
  prefix: number;
  text: string;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** The range, or why the text is not a canonical IPv4 CIDR range. */
export function parseCidr(text: string): Cidr | string {
  const m = CIDR.exec(text);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  // Leading zeros are refused: inet_aton reads 010 as octal, GCP rejects it.
  if (!m || octets.some((o) => o > 255) || m.slice(1, 6).some((p) => p.length > 1 && p.startsWith("0")) || Number(m[5]) > 32) {
    return `${JSON.stringify(text)} is not an IPv4 CIDR range such as 10.10.0.0/20`;
  }
  const prefix = Number(m[5]);
  const address = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
  const size = 2 ** (32 - prefix);
  const start = address - (address % size);
  if (start !== address) {
    // GCP refuses a range with host bits set ("invalid IPCidrRange ... conflicts with its prefix length").
    return `${JSON.stringify(text)} has host bits set: the range of /${prefix} starting there is ${formatAddress(start)}/${prefix}`;
  }
  return { start, prefix, text };
}

export function formatAddress(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** Whether two ranges share an address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const endA = a.start + 2 ** (32 - a.prefix);
  const endB = b.start + 2 ** (32 - b.prefix);
  return a.start < endB && b.start < endA;
}

/** Every pair of named ranges that overlap, as [name, name]. */
export function overlappingPairs(ranges: readonly (readonly [string, Cidr])[]): [string, string][] {
  const pairs: [string, string][] = [];
  ranges.forEach(([a, rangeA], i) => {
    for (const [b, rangeB] of ranges.slice(i + 1)) if (overlaps(rangeA, rangeB)) pairs.push([a, b]);
  });
  return pairs;
}

/** Ranges a VPC subnet may never use (cloud.google.com/vpc/docs/subnets#prohibited-ranges). */
const PROHIBITED: readonly string[] = ["0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4"];

/** Why a parsed range cannot be a subnet range (prohibited, or outside /8-/29: cloud.google.com/vpc/docs/subnets#valid-ranges). */
export function subnetRangeProblem(range: Cidr): string | undefined {
  if (range.prefix < 8 || range.prefix > 29) return `${range.text}: a subnet range is between /8 and /29`;
  const bad = PROHIBITED.find((p) => overlaps(range, parseCidr(p) as Cidr));
  if (bad) return `${range.text} overlaps ${bad}, which no VPC subnet may use`;
  return undefined;
}

/** Why a text is not a range a VPC subnet (primary or secondary) may have, or undefined. */
export function rangeProblem(text: string): string | undefined {
  const r = parseCidr(text);
  return typeof r === "string" ? r : subnetRangeProblem(r);
}
