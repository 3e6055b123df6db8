/** The small pieces the rules are built from, each against values worked out by hand. */
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { loadPlatformConfig, readRawConfig } from "../config";
import { LocationFile, parseLocations } from "../locations/load";
import { annotationsSize, labelValueError, qualifiedNameError, reservedPrefixError } from "../locations/kubernetes";
import { InputError, excerpt, fieldKey, formatProblem, show } from "../locations/problems";
import { compareQuantities, isMultipleOf, parseQuantity } from "../locations/quantity";
import { resourceKind } from "../locations/resources";
import { didYouMean, editDistance } from "../locations/suggest";
import { ValidationContext } from "../locations/validate";
import { enableOfflinePlan, plannedPlaceholders } from "../offline/mode";
import { location, reposDir } from "./helpers/plan";

const ctx: ValidationContext = { reservedEnv: new Set(), reservedEnvPrefixes: [], reservedServiceNames: new Set() };
const GOOD = "image: registry.example.com/team/etl:1.4.2\nmodule: etl.definitions\n";
const messages = (text: string) => parseLocations([{ file: "repos/etl.yaml", text } as LocationFile], ctx).problems.map(formatProblem);

/** Text that gzip cannot shrink much: base64 of a hash chain (deterministic). */
function incompressible(bytes: number, seed: string): string {
  let out = "";
  let h = Buffer.from(seed);
  while (out.length < bytes) {
    h = crypto.createHash("sha512").update(h).digest();
    out += h.toString("base64").replace(/[+/=]/g, "a");
  }
  return out.slice(0, bytes);
}

describe("rule building blocks", () => {
  describe("quantities", () => {
    const q = (t: string) => {
      const p = parseQuantity(t);
      assert.ok(p.ok, t);
      return p.value;
    };
    it("are exact fractions", () => {
      assert.deepEqual(q("1.5Gi"), { negative: false, num: 16106127360n, den: 10n });
      assert.deepEqual(q("250m"), { negative: false, num: 250n, den: 1000n });
      assert.deepEqual(q("-2k"), { negative: true, num: 2000n, den: 1n });
      assert.deepEqual(q("1e-3"), { negative: false, num: 1n, den: 1000n });
      assert.deepEqual(q("0"), { negative: false, num: 0n, den: 1n });
      assert.deepEqual(q("5."), { negative: false, num: 5n, den: 1n });
      assert.deepEqual(q(".5"), { negative: false, num: 5n, den: 10n });
      assert.deepEqual(q("3u"), { negative: false, num: 3n, den: 1000000n });
      assert.deepEqual(q("7n"), { negative: false, num: 7n, den: 1000000000n });
      assert.deepEqual(q("2M"), { negative: false, num: 2000000n, den: 1n });
      assert.deepEqual(q("1T"), { negative: false, num: 1000000000000n, den: 1n });
      assert.deepEqual(q("1P"), { negative: false, num: 1000000000000000n, den: 1n });
      assert.deepEqual(q("1E"), { negative: false, num: 1000000000000000000n, den: 1n });
      assert.deepEqual(q("1Ki"), { negative: false, num: 1024n, den: 1n });
      assert.deepEqual(q("1Ti"), { negative: false, num: 1099511627776n, den: 1n });
      assert.deepEqual(q("1Pi"), { negative: false, num: 1125899906842624n, den: 1n });
      assert.deepEqual(q("2G"), { negative: false, num: 2000000000n, den: 1n });
      assert.deepEqual(q("1E+2"), { negative: false, num: 100n, den: 1n });
    });
    it("the largest and the finest", () => {
      assert.deepEqual(q("9223372036854775807"), { negative: false, num: 9223372036854775807n, den: 1n });
      assert.equal(parseQuantity("9223372036854775808").ok, false);
      assert.equal(parseQuantity("-9223372036854775808").ok, false);
      assert.deepEqual(q("1e-9"), { negative: false, num: 1n, den: 1000000000n });
      assert.equal(parseQuantity("1e-10").ok, false);
      assert.equal(parseQuantity("1e60").ok, false);
      assert.equal(parseQuantity("1e61").ok, false);
      assert.deepEqual(q("0e99"), { negative: false, num: 0n, den: 1n });
      assert.deepEqual(q("1e18"), { negative: false, num: 1000000000000000000n, den: 1n });
    });
    it("compare with signs", () => {
      assert.equal(compareQuantities(q("-1"), q("1")), -1);
      assert.equal(compareQuantities(q("1"), q("-1")), 1);
      assert.equal(compareQuantities(q("-2"), q("-1")), -1);
      assert.equal(compareQuantities(q("1Ki"), q("1024")), 0);
      assert.equal(compareQuantities(q("999m"), q("1")), -1);
      assert.equal(compareQuantities(q("1001m"), q("1")), 1);
    });
    it("multiples of a unit", () => {
      assert.equal(isMultipleOf(q("1500m"), 1n, 1n), false);
      assert.equal(isMultipleOf(q("2000m"), 1n, 1n), true);
      assert.equal(isMultipleOf(q("1.5"), 1n, 1000n), true);
      assert.equal(isMultipleOf(q("1500u"), 1n, 1000n), false);
      assert.equal(isMultipleOf(q("4Ki"), 1024n, 1n), true);
      assert.equal(isMultipleOf(q("4100"), 1024n, 1n), false);
    });
    it("resource kinds", () => {
      assert.deepEqual(resourceKind("cpu"), { unit: "millicores", overcommit: true });
      assert.deepEqual(resourceKind("memory"), { unit: "bytes", overcommit: true });
      assert.deepEqual(resourceKind("ephemeral-storage"), { unit: "bytes", overcommit: true });
      assert.deepEqual(resourceKind("hugepages-1Gi"), { unit: "bytes", overcommit: false });
      assert.deepEqual(resourceKind("nvidia.com/gpu"), { unit: "units", overcommit: false });
      assert.ok("error" in resourceKind("hugepages-"));
    });
  });

  describe("Kubernetes names", () => {
    it("qualified names", () => {
      assert.equal(qualifiedNameError("app"), undefined);
      assert.equal(qualifiedNameError("example.com/app"), undefined);
      assert.equal(qualifiedNameError("a".repeat(63)), undefined);
      assert.equal(qualifiedNameError(`${"a".repeat(253)}/x`), undefined);
      assert.match(qualifiedNameError(`${"a".repeat(254)}/x`) ?? "", /the prefix .* must be a DNS subdomain/);
      assert.match(qualifiedNameError("/x") ?? "", /the prefix "" must be a DNS subdomain/);
      assert.match(qualifiedNameError("x/") ?? "", /the name "" must be 1-63 characters/);
      assert.match(qualifiedNameError("") ?? "", /the name "" must be 1-63/);
      assert.match(qualifiedNameError("-a") ?? "", /the name "-a"/);
      assert.match(qualifiedNameError("a_") ?? "", /the name "a_"/);
      assert.equal(qualifiedNameError("A.b_c-D"), undefined);
      assert.match(qualifiedNameError("Example.com/x") ?? "", /the prefix "Example\.com"/);
    });
    it("reserved prefixes", () => {
      for (const k of ["kubernetes.io/x", "k8s.io/x", "node.kubernetes.io/x", "a.k8s.io/x"]) assert.match(reservedPrefixError(k) ?? "", /is reserved for Kubernetes itself/, k);
      for (const k of ["x", "xk8s.io/x", "example.com/kubernetes.io", "kubernetes.io.example.com/x"]) assert.equal(reservedPrefixError(k), undefined, k);
    });
    it("label values", () => {
      assert.equal(labelValueError(""), undefined);
      assert.equal(labelValueError("a".repeat(63)), undefined);
      assert.ok(labelValueError("a".repeat(64)));
      assert.ok(labelValueError("a b"));
    });
    it("annotation sizes are bytes of keys and values", () => {
      assert.equal(annotationsSize({}), 0);
      assert.equal(annotationsSize({ ab: "cde", é: "ü" }), 9);
    });
  });

  describe("problems", () => {
    it("excerpts", () => {
      assert.equal(excerpt("a".repeat(40)), `"${"a".repeat(40)}"`);
      assert.equal(excerpt("a".repeat(41)), `"${"a".repeat(40)}"… (41 characters)`);
      assert.equal(excerpt("x\0y"), '"x\\u0000y"');
      assert.equal(excerpt(`${"😀".repeat(41)}`), `"${"😀".repeat(40)}"… (41 characters)`);
      assert.equal(excerpt("b".repeat(1234)).endsWith("… (1,234 characters)"), true);
    });
    it("field keys", () => {
      assert.equal(fieldKey("example.com/a_b-c"), "example.com/a_b-c");
      assert.equal(fieldKey("a".repeat(64)), "a".repeat(64));
      assert.equal(fieldKey("a".repeat(65)), `"${"a".repeat(40)}"… (65 characters)`);
      assert.equal(fieldKey("a b"), '"a b"');
      assert.equal(fieldKey(""), '""');
    });
    it("values as a user would recognise them", () => {
      assert.deepEqual([show(null), show(undefined), show("s"), show([1]), show({}), show(3), show(true)], ["null", "nothing", '"s"', "a list", "a mapping", "3", "true"]);
    });
    it("format, with position, field and hint, and cut at 600 characters", () => {
      assert.equal(formatProblem({ source: "f", field: "", message: "m" }), "f: m");
      assert.equal(formatProblem({ source: "f", field: "a.b", message: "m", hint: "h" }), "f: a.b: m (h)");
      assert.equal(formatProblem({ source: "f", field: "", message: "m", line: 3 }), "f:3:1: m");
      assert.equal(formatProblem({ source: "f", field: "", message: "m", line: 3, column: 7 }), "f:3:7: m");
      const long = formatProblem({ source: "f", field: "", message: "m".repeat(700) });
      assert.equal(long, `f: ${"m".repeat(597)}…`);
      assert.equal(formatProblem({ source: "f", field: "", message: "m".repeat(597) }), `f: ${"m".repeat(597)}`);
    });
    it("one error lists every problem, sorted by file, line, field and message", () => {
      const e = new InputError("Refusing", [
        { source: "b", field: "x", message: "2" },
        { source: "a", field: "y", message: "1", line: 5 },
        { source: "a", field: "z", message: "1", line: 2 },
        { source: "a", field: "y", message: "0", line: 5 },
        { source: "a", field: "b", message: "9", line: 5 },
      ]);
      assert.equal(e.message, "Refusing: 5 problems; nothing was planned.\n  - a:2:1: z: 1\n  - a:5:1: b: 9\n  - a:5:1: y: 0\n  - a:5:1: y: 1\n  - b: x: 2");
      assert.equal(new InputError("R", [{ source: "a", field: "", message: "m" }]).message, "R: 1 problem; nothing was planned.\n  - a: m");
      assert.equal(e.name, "InputError");
    });
  });

  describe("did you mean", () => {
    it("edit distance counts a swap as one", () => {
      assert.equal(editDistance("prot", "port"), 1);
      assert.equal(editDistance("", "abc"), 3);
      assert.equal(editDistance("abc", ""), 3);
      assert.equal(editDistance("kitten", "sitting"), 3);
      assert.equal(editDistance("same", "same"), 0);
      assert.equal(editDistance("ab", "ba"), 1);
      assert.equal(editDistance("abcd", "acbd"), 1);
    });
    it("suggests within a third of the word, or a case-only difference", () => {
      assert.equal(didYouMean("prot", ["port", "image"]), "port");
      assert.equal(didYouMean("IMAGE", ["image", "imagex"]), "image");
      assert.equal(didYouMean("xyz", ["image"]), undefined);
      assert.equal(didYouMean("imagexx", ["image"]), "image");
      assert.equal(didYouMean("imagexxx", ["image"]), undefined);
      assert.equal(didYouMean("imagesx", ["images"]), "images");
      assert.equal(didYouMean("ab", ["ac"]), "ac");
      assert.equal(didYouMean("ab", ["cd"]), undefined);
      assert.equal(didYouMean("abcdef", ["abxyef"]), "abxyef");
      assert.equal(didYouMean("abcdef", ["axyzef"]), undefined);
      assert.equal(didYouMean("a", []), undefined);
    });
  });

  describe("limits of one file", () => {
    it("at most five YAML syntax errors are listed, then how many more", () => {
      const m = messages(Array.from({ length: 9 }, (_, i) => `k${i}: [\n`).join(""));
      assert.equal(m.length, 6, m.join("\n"));
      assert.match(m[5], /^repos\/etl\.yaml: … and \d+ more YAML syntax errors$/);
    });
    it("an env exactly at its limits", () => {
      assert.deepEqual(messages(`${GOOD}env: {BIG: ${"x".repeat(131_067)}}\n`), []);
      assert.match(messages(`${GOOD}env: {BIG: ${"x".repeat(131_068)}}\n`).join(), /env\.BIG: is 131,072 bytes with its name/);
      const vars = (total: number) => Array.from({ length: 10 }, (_, i) => `  V${i}: ${"x".repeat(total / 10 - 2)}\n`).join("");
      assert.deepEqual(messages(`${GOOD}env:\n${vars(1_044_480)}`), []);
      assert.match(messages(`${GOOD}env:\n${vars(1_044_490)}`).join(), /env: holds 1,044,490 bytes/);
    });
    it("values too large for Helm's release Secret", () => {
      const env = (bytes: number) => Array.from({ length: 10 }, (_, i) => `  V${i}: ${incompressible(bytes / 10, `s${i}`)}\n`).join("");
      assert.deepEqual(messages(`${GOOD}env:\n${env(600_000)}`), []);
      const m = messages(`${GOOD}env:\n${env(1_040_000)}`);
      assert.equal(m.length, 1, m.join("\n"));
      assert.match(m[0], /^repos\/etl\.yaml: its values would take [\d,]+ bytes of Helm's release Secret, compressed and encoded; the Secret holds at most 1 MiB with the chart/);
    });
  });

  describe("the real program's reading of its config", () => {
    before(async () => {
      await pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({}) }, "dagster-platform", "staging", false);
    });
    it("knows which keys Pulumi holds as secrets", () => {
      pulumi.runtime.setAllConfig({ "dagster-platform:kubeconfig": "k", "dagster-platform:namespace": "n", "gcp:project": "p" }, ["dagster-platform:kubeconfig"]);
      const raw = readRawConfig("/somewhere");
      assert.deepEqual([raw.project, raw.stack, raw.projectDir], ["dagster-platform", "staging", "/somewhere"]);
      assert.deepEqual([...raw.secretKeys], ["dagster-platform:kubeconfig"]);
      assert.deepEqual(raw.values, { "dagster-platform:kubeconfig": "k", "dagster-platform:namespace": "n", "gcp:project": "p" });
    });
    it("an offline plan notes the secrets it planned with placeholders", () => {
      const repos = path.relative(process.cwd(), reposDir({ "etl.yaml": location("registry.example.com/etl:1.0.0") }));
      pulumi.runtime.setAllConfig({
        "dagster-platform:environment": "production", "dagster-platform:chartVersion": "1.13.19", "dagster-platform:reposDir": repos,
        "dagster-platform:cloudSql": "false", "dagster-platform:buckets": "false", "dagster-platform:registry": "false", "dagster-platform:postgresHost": "pg",
      }, []);
      enableOfflinePlan();
      const cfg = loadPlatformConfig();
      assert.deepEqual(cfg.secretPlaceholders, ["kubeconfig", "postgresPassword"]);
      assert.deepEqual(plannedPlaceholders(), ["kubeconfig", "postgresPassword"]);
    });
  });
});
