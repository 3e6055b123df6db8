/**
 * The naming and range rules stack config is checked against, each at its edges. Expected
 * answers are worked out by hand from the sources the rules cite (GCP naming pages, RFC 1035 and
 * 1123, git check-ref-format, semver), never computed by the code under test.
 */
import { strict as assert } from "assert";
import { formatAddress, overlappingPairs, overlaps, parseCidr, rangeProblem, subnetRangeProblem, Cidr } from "../config/cidr";
import { DNS_LABEL, GCP_PROJECT, GCP_SERVICE_ACCOUNT, GIT_SHA, HOST, SEMVER, STACK_REF } from "../config/formats";
import {
  bucketLocationProblem, bucketNameProblem, computeNameProblem, gkeClusterNameProblem, regionProblem, registryIdProblem, serviceAccountIdProblem, sqlTierProblem,
} from "../config/gcpRules";

const COMPUTE = "Compute Engine names are 1-63 lowercase letters, digits and -, starting with a letter and not ending with - (RFC 1035)";
const GKE = "a GKE cluster name is 1-40 lowercase letters, digits and -, starting with a letter and not ending with -";
const SA = "a service account id is 6-30 lowercase letters, digits and -, starting with a letter and not ending with -";
const REGISTRY = "an Artifact Registry repository id is 1-63 lowercase letters, digits and -, starting with a letter";
const BUCKET_CHARS = "a bucket name is lowercase letters, digits, -, _ and ., starting and ending with a letter or digit";
const BUCKET_LENGTH = "a bucket name is 3-63 characters (222 with dots, at most 63 between two dots)";
const BUCKET_IP = "a bucket name cannot be an IP address";
const BUCKET_GOOGLE = 'a bucket name cannot start with "goog" or contain "google" (or a misspelling of it)';
const REGION = "a GCP region looks like europe-west4 or us-central1";
const LOCATION = "a bucket location is a region (EUROPE-WEST4), a dual-region (EUR4) or a multi-region (EU, US, ASIA)";
const TIER = "a Cloud SQL tier is db-custom-<vCPUs>-<memory MB> (or db-f1-micro, db-g1-small)";

/** Each name with the answer the rule must give (undefined: accepted). */
function table(rule: (name: string) => string | undefined, cases: Record<string, string | undefined>): void {
  for (const [name, expected] of Object.entries(cases)) assert.equal(rule(name), expected, name);
}

describe("GCP naming rules, at their edges", () => {
  it("Compute Engine names (RFC 1035, 1-63)", () => table(computeNameProblem, { a: undefined, [`a${"b".repeat(62)}`]: undefined, [`a${"b".repeat(63)}`]: COMPUTE, "a-": COMPUTE, "1a": COMPUTE, "aB": COMPUTE, "a-b": undefined }));
  it("GKE cluster names (1-40)", () => table(gkeClusterNameProblem, { a: undefined, [`a${"b".repeat(39)}`]: undefined, [`a${"b".repeat(40)}`]: GKE, "a-": GKE, "1a": GKE }));
  it("service account ids (6-30)", () => table(serviceAccountIdProblem, { abcdef: undefined, abcde: SA, [`a${"b".repeat(29)}`]: undefined, [`a${"b".repeat(30)}`]: SA, "abcde-": SA, "1abcde": SA }));
  it("Artifact Registry repository ids (1-63)", () => table(registryIdProblem, { a: undefined, [`a${"b".repeat(62)}`]: undefined, [`a${"b".repeat(63)}`]: REGISTRY, "1a": REGISTRY, "a-": REGISTRY, "a_b": REGISTRY }));
  it("bucket names", () => {
    const label = (c: string, n: number) => c.repeat(n);
    table(bucketNameProblem, {
      abc: undefined, ab: BUCKET_LENGTH, a: BUCKET_CHARS, [label("a", 63)]: undefined, [label("a", 64)]: BUCKET_LENGTH,
      [`${label("a", 40)}.${label("b", 40)}`]: undefined,
      [`${label("a", 63)}.b`]: undefined, [`${label("a", 64)}.b`]: BUCKET_LENGTH,
      [`${label("a", 63)}.${label("b", 63)}.${label("c", 63)}.${label("d", 30)}`]: undefined,
      [`${label("a", 63)}.${label("b", 63)}.${label("c", 63)}.${label("d", 31)}`]: BUCKET_LENGTH,
      "-abc": BUCKET_CHARS, "abc-": BUCKET_CHARS, "Abc": BUCKET_CHARS, "a_b.c-d": undefined,
      "192.168.10.40": BUCKET_IP, "1.2.3.4": BUCKET_IP, "x1.2.3.4": undefined, "1.2.3.4x": undefined, "1.2.3": undefined,
      "goog-x": BUCKET_GOOGLE, "my-google-x": BUCKET_GOOGLE, "my-g00gle": BUCKET_GOOGLE, "my-goog1e": BUCKET_GOOGLE, "x-goog": undefined,
    });
  });
  it("regions", () => table(regionProblem, { "europe-west4": undefined, "us-central1": undefined, "europe-west12": undefined, "1europe-west4": REGION, "europe-west4a": REGION, "europe-west": REGION, "Europe-west4": REGION }));
  it("bucket locations", () => table(bucketLocationProblem, { "EUROPE-WEST4": undefined, "europe-west12": undefined, EU: undefined, ASIA: undefined, EUR4: undefined, NAM14: undefined, "EU-": LOCATION, "EUROPE-WEST": LOCATION, "4EU": LOCATION, "EU4x": LOCATION }));
  it("Cloud SQL tiers", () => table(sqlTierProblem, {
    "db-f1-micro": undefined, "db-g1-small": undefined, "db-custom-1-3840": undefined, "db-custom-2-7680": undefined, "db-custom-96-98304": undefined,
    "db-custom-10-9216": undefined, "db-custom-1-6656": undefined,
    "xdb-custom-1-3840": TIER, "db-custom-1-3840x": TIER, "db-custom-1": TIER,
    "db-custom-0-3840": "0 vCPUs: a custom tier has 1 or an even number of vCPUs up to 96",
    "db-custom-3-7680": "3 vCPUs: a custom tier has 1 or an even number of vCPUs up to 96",
    "db-custom-98-98304": "98 vCPUs: a custom tier has 1 or an even number of vCPUs up to 96",
    "db-custom-2-7700": "7700 MB: custom memory is a multiple of 256 MB",
    "db-custom-1-3584": "3584 MB for 1 vCPU: custom memory is 0.9 to 6.5 GB per vCPU, at least 3840 MB",
    "db-custom-10-8960": "8960 MB for 10 vCPU: custom memory is 0.9 to 6.5 GB per vCPU, at least 3840 MB",
    "db-custom-1-6912": "6912 MB for 1 vCPU: custom memory is 0.9 to 6.5 GB per vCPU, at least 3840 MB",
  }));
});

describe("value formats", () => {
  const matches = (re: RegExp, yes: string[], no: string[]) => {
    for (const s of yes) assert.equal(re.test(s), true, `${re} should accept ${JSON.stringify(s)}`);
    for (const s of no) assert.equal(re.test(s), false, `${re} should refuse ${JSON.stringify(s)}`);
  };
  const host253 = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`;
  it("host names (RFC 1123, at most 253)", () => matches(HOST, ["a.b", "dagster.acme.example", host253], ["a", `${host253}d`, "a.b-", "-a.b", "a..b", "A.b"]));
  it("GCP project ids", () => matches(GCP_PROJECT, ["acme-data-prod", "abcdef", `a${"b".repeat(29)}`], ["abcde", `a${"b".repeat(30)}`, "1abcde", "abcde-"]));
  it("stack references org/project/stack", () => matches(STACK_REF, ["organization/dagster-platform/preview", "o/p/s", "O_1/p.2/s-3"], ["o/p", "o/p/s/x", "-o/p/s", "o/p/s ", "o//s"]));
  it("git shas", () => matches(GIT_SHA, ["abcdef0", "a".repeat(40)], ["abcdef", "a".repeat(41), "xabcdef0", "abcdef0x", "ABCDEF0"]));
  it("chart versions (semver)", () => matches(SEMVER, ["1.13.19", "10.20.30", "1.2.3-rc1", "1.2.3-rc.1"], ["v1.2.3", "1.2.3 ", "1.2", "1.2.3-", "1.2.3-r_c"]));
  it("DNS labels", () => matches(DNS_LABEL, ["a", "1", "ab", "a-b"], ["a-", "-a", "A", "a.b"]));
  it("service account emails", () => matches(GCP_SERVICE_ACCOUNT, ["dagster-preview-nodes@acme-data-preview.iam.gserviceaccount.com"], ["x@acme-data-preview.iam.gserviceaccount.com", "dagster@acme-data-preview.iam.gserviceaccount.com.evil"]));
});

describe("CIDR ranges", () => {
  const cidr = (t: string) => parseCidr(t) as Cidr;
  it("parse to the first address and prefix", () => {
    assert.deepEqual(parseCidr("10.10.0.0/20"), { start: 10 * 2 ** 24 + 10 * 2 ** 16, prefix: 20, text: "10.10.0.0/20" });
    assert.deepEqual(parseCidr("0.0.0.0/8"), { start: 0, prefix: 8, text: "0.0.0.0/8" });
    assert.deepEqual(parseCidr("10.0.0.255/32"), { start: 10 * 2 ** 24 + 255, prefix: 32, text: "10.0.0.255/32" });
    assert.deepEqual(parseCidr("10.0.0.16/28"), { start: 10 * 2 ** 24 + 16, prefix: 28, text: "10.0.0.16/28" });
    assert.deepEqual(parseCidr("255.255.255.0/24"), { start: 255 * 2 ** 24 + 255 * 2 ** 16 + 255 * 2 ** 8, prefix: 24, text: "255.255.255.0/24" });
  });
  it("refuse what is not a canonical range", () => {
    for (const t of ["x10.0.0.0/8", "10.0.0.0/8x", "10.0.0.256/32", "10.0.0.0/33", "010.0.0.0/8", "10.0.0.0/08", "10.0.0/8", "10.0.0.0"]) {
      assert.equal(parseCidr(t), `${JSON.stringify(t)} is not an IPv4 CIDR range such as 10.10.0.0/20`, t);
    }
    assert.equal(parseCidr("10.10.1.0/20"), "\"10.10.1.0/20\" has host bits set: the range of /20 starting there is 10.10.0.0/20");
  });
  it("addresses print as dotted quads", () => assert.equal(formatAddress(10 * 2 ** 24 + 255 * 2 ** 16 + 3 * 2 ** 8 + 7), "10.255.3.7"));
  it("adjacent ranges do not overlap; nested and equal ones do", () => {
    assert.equal(overlaps(cidr("10.0.1.0/24"), cidr("10.0.0.0/24")), false);
    assert.equal(overlaps(cidr("10.0.0.0/24"), cidr("10.0.1.0/24")), false);
    assert.equal(overlaps(cidr("10.0.0.0/16"), cidr("10.0.5.0/24")), true);
    assert.equal(overlaps(cidr("10.0.5.0/24"), cidr("10.0.0.0/16")), true);
  });
  it("every overlapping pair is named once, in order", () => {
    assert.deepEqual(overlappingPairs([["a", cidr("10.0.0.0/16")], ["b", cidr("10.1.0.0/16")], ["c", cidr("10.0.0.0/8")], ["d", cidr("10.0.5.0/24")]]), [["a", "c"], ["a", "d"], ["b", "c"], ["c", "d"]]);
    assert.deepEqual(overlappingPairs([["a", cidr("10.0.0.0/16")], ["b", cidr("10.1.0.0/16")]]), []);
  });
  it("subnet ranges: /8 to /29, none of GCP's prohibited ranges", () => {
    assert.equal(rangeProblem("10.0.0.0/8"), undefined);
    assert.equal(rangeProblem("10.0.0.0/29"), undefined);
    assert.equal(rangeProblem("10.0.0.0/7"), "10.0.0.0/7: a subnet range is between /8 and /29");
    assert.equal(rangeProblem("10.0.0.0/30"), "10.0.0.0/30: a subnet range is between /8 and /29");
    assert.equal(rangeProblem("10.0.0.0/33"), "\"10.0.0.0/33\" is not an IPv4 CIDR range such as 10.10.0.0/20");
    for (const [range, prohibited] of [["0.1.0.0/16", "0.0.0.0/8"], ["127.1.0.0/16", "127.0.0.0/8"], ["169.254.4.0/24", "169.254.0.0/16"], ["224.1.0.0/16", "224.0.0.0/4"], ["240.1.0.0/16", "240.0.0.0/4"]]) {
      assert.equal(subnetRangeProblem(cidr(range)), `${range} overlaps ${prohibited}, which no VPC subnet may use`);
    }
    assert.equal(subnetRangeProblem(cidr("172.16.0.0/12")), undefined);
  });
});
