/**
 * repos/ rules that mirror what Kubernetes, Helm, a registry or Linux would refuse. Expected
 * messages and limits are written out here from the sources the rules cite, never computed by the
 * code under test.
 */
import { strict as assert } from "assert";
import { LocationFile, parseLocations } from "../locations/load";
import { formatProblem } from "../locations/problems";
import { ValidationContext } from "../locations/validate";

const ctx: ValidationContext = {
  reservedEnv: new Set(["DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT", "SNOWFLAKE_DATABASE"]),
  reservedEnvPrefixes: ["DAGSTER_CLOUD_"],
  reservedServiceNames: new Set(["dagster-dagster-webserver", "dagster-webserver-pods"]),
};
const GOOD = "image: registry.example.com/team/etl:1.4.2\nmodule: etl.definitions\n";

function messages(files: Record<string, string>): string[] {
  const list: LocationFile[] = Object.entries(files).map(([name, text]) => ({ file: `repos/${name}`, text }));
  const result = parseLocations(list, ctx);
  if (result.problems.length > 0) assert.equal(result.locations.length, 0, "a problem refuses every location");
  return result.problems.map(formatProblem);
}

/** Exactly one problem, on etl.yaml, matching every pattern. */
function refuses(yaml: string, ...patterns: RegExp[]): string {
  const m = messages({ "etl.yaml": yaml });
  assert.equal(m.length, 1, m.join("\n"));
  for (const p of patterns) assert.match(m[0], p);
  return m[0];
}

function accepts(yaml: string): void {
  assert.deepEqual(messages({ "etl.yaml": yaml }), []);
}

const resources = (r: string) => `${GOOD}resources: ${r}\n`;
const toleration = (t: string) => `${GOOD}tolerations: [${t}]\n`;

describe("repos/ rules Kubernetes would enforce", () => {
  describe("resource names (validateContainerResourceName)", () => {
    it("standard names, huge pages and extended resources are accepted", () => {
      accepts(resources("{requests: {cpu: 250m, memory: 512Mi, ephemeral-storage: 1Gi}}"));
      accepts(resources("{requests: {cpu: 1, hugepages-2Mi: 64Mi}, limits: {hugepages-2Mi: 64Mi}}"));
      accepts(resources("{requests: {nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 1}}"));
    });
    it("a name with two slashes", () => refuses(resources("{limits: {a/b/c: 1}}"), /resources\.limits\.a\/b\/c: "a\/b\/c" is not a resource name: the key "a\/b\/c" has 2 slashes/));
    it("an unknown one-word name, with a did-you-mean", () => refuses(resources("{requests: {memroy: 1Gi}}"), /unknown resource "memroy" \(did you mean "memory"\?\)/));
    it("an unknown one-word name without a close match", () => refuses(resources("{requests: {gpus: 1}}"), /unknown resource "gpus" \(use cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource/));
    it("huge pages of a size that is no quantity", () => refuses(resources("{requests: {hugepages-big: 1Gi}}"), /unknown resource "hugepages-big"/));
    it("a name in kubernetes.io", () => refuses(resources("{limits: {kubernetes.io/gpu: 1}}"), /is in Kubernetes' own kubernetes\.io namespace/));
    it("a subdomain of kubernetes.io too", () => refuses(resources("{limits: {x.kubernetes.io/gpu: 1}}"), /kubernetes\.io namespace/));
    it("a requests. prefix", () => refuses(resources("{limits: {requests.example.com/gpu: 1}}"), /starts with "requests\.", which Kubernetes reserves for quotas/));
    it("a prefix that is not a DNS subdomain", () => refuses(resources("{limits: {Example.com/gpu: 1}}"), /the prefix "Example\.com" must be a DNS subdomain/));
  });

  describe("quantities (apimachinery resource.Quantity)", () => {
    for (const q of ["250m", "0.5", "1", "1.5", ".5", "5.", "+1", "1e3", "1E3", "2k"]) {
      it(`cpu ${q} is accepted`, () => accepts(resources(`{requests: {cpu: "${q}"}}`)));
    }
    for (const q of ["512Mi", "1Gi", "1G", "1e9", "1.5Gi", "1Ki", "100", "1Ei"]) {
      it(`memory ${q} is accepted`, () => accepts(resources(`{requests: {memory: "${q}"}}`)));
    }
    it("a malformed quantity", () => refuses(resources("{requests: {cpu: lots}}"), /resources\.requests\.cpu: "lots": it is not a Kubernetes quantity \(e\.g\. 250m or 1\)/));
    for (const q of ["1.2.3", "1 Gi", "Gi", "1gi", "1KB", "1e", "1e3.5", "--1", "."]) {
      it(`${JSON.stringify(q)} is not a quantity`, () => refuses(resources(`{requests: {memory: "${q}"}}`), /it is not a Kubernetes quantity/));
    }
    it("a negative quantity", () => refuses(resources("{requests: {cpu: -1}}"), /resources\.requests\.cpu: "-1" is negative/));
    it("-0 is zero, not negative", () => accepts(resources("{requests: {cpu: \"-0\"}}")));
    it("memory 512m is 0.512 bytes, with the Mi it meant", () => refuses(resources("{requests: {memory: 512m}}"), /"512m" is not a number of whole bytes for memory: Kubernetes rounds fractions of a byte up \(m means thousandths: did you mean 512Mi\?\)/));
    it("fractional bytes", () => refuses(resources("{limits: {ephemeral-storage: \"1.5\"}}"), /is not a number of whole bytes for ephemeral-storage: Kubernetes rounds fractions of a byte up \(e\.g\. 512Mi or 2Gi\)/));
    it("1.5Ki is 1,536 whole bytes", () => accepts(resources("{requests: {memory: 1.5Ki}}")));
    it("0.5Ki is 512 whole bytes, 0.0001Ki is not", () => {
      accepts(resources("{requests: {memory: 0.5Ki}}"));
      refuses(resources("{requests: {memory: 0.0001Ki}}"), /whole bytes/);
    });
    it("cpu finer than a millicore", () => refuses(resources("{requests: {cpu: 100u}}"), /"100u" is not a number of whole millicores/));
    it("cpu 0.0005 is finer than a millicore", () => refuses(resources("{requests: {cpu: \"0.0005\"}}"), /whole millicores/));
    it("cpu 1500u is 1.5 millicores", () => refuses(resources("{requests: {cpu: 1500u}}"), /"1500u" is not a number of whole millicores for cpu: Kubernetes rounds finer CPU up to 1m \(e\.g\. 250m or 1\)/));
    it("cpu 1000000n is a millicore", () => accepts(resources("{requests: {cpu: 1000000n}}")));
    it("a quantity above 2^63-1 (Kubernetes would cap it)", () => refuses(resources("{requests: {memory: \"9223372036854775808\"}}"), /it is larger than the largest quantity Kubernetes holds \(2\^63-1\); Kubernetes would cap it/));
    it("2^63-1 itself fits", () => accepts(resources("{requests: {memory: \"9223372036854775807\"}}")));
    it("8Ei is above 2^63-1, 7Ei is not", () => {
      refuses(resources("{requests: {memory: 8Ei}}"), /would cap it/);
      accepts(resources("{requests: {memory: 7Ei}}"));
    });
    it("an exponent far too large or too small", () => {
      refuses(resources("{requests: {memory: \"1e400\"}}"), /would cap it/);
      refuses(resources("{requests: {memory: 1e400}}"), /the number is too large for YAML to read exactly \(it was read as Infinity\) \(quote it/);
      refuses(resources("{requests: {cpu: \"1e-400\"}}"), /finer than Kubernetes keeps \(1n\)/);
    });
    it("finer than a nano-unit", () => refuses(resources("{requests: {cpu: \"0.0000000001\"}}"), /finer than Kubernetes keeps \(1n\); Kubernetes would round it up/));
    it("an unquoted integer YAML cannot read exactly", () => refuses(resources("{requests: {memory: 9007199254740993}}"), /the number is too large for YAML to read exactly \(it was read as 9007199254740992\) \(quote it/));
    it("an unquoted safe integer is read as written", () => accepts(resources("{requests: {memory: 9007199254740991}}")));
    it("a quantity that is a mapping", () => refuses(resources("{requests: {cpu: {a: 1}}}"), /resources\.requests\.cpu: a mapping is not a Kubernetes quantity/));
    it("requests compared exactly: 1Gi is not above 1073741824", () => accepts(resources("{requests: {memory: 1Gi}, limits: {memory: \"1073741824\"}}")));
    it("requests compared exactly: 1073741825 is above 1Gi", () => refuses(resources("{requests: {memory: \"1073741825\"}, limits: {memory: 1Gi}}"), /resources\.requests\.memory: the request 1073741825 is larger than the limit 1Gi/));
    it("a request equal to its limit is fine", () => accepts(resources("{requests: {cpu: 500m}, limits: {cpu: \"0.5\"}}")));
    it("a request above its limit", () => refuses(resources("{requests: {memory: 2Gi}, limits: {memory: 1Gi}}"), /the request 2Gi is larger than the limit 1Gi \(Kubernetes rejects such a pod/));
    it("a limit without a request is fine", () => accepts(resources("{limits: {memory: 1Gi}}")));
  });

  describe("extended resources and huge pages (not overcommittable)", () => {
    it("nvidia.com/gpu: 0.5 is refused (whole units)", () => {
      const m = messages({ "etl.yaml": resources("{requests: {nvidia.com/gpu: 0.5}, limits: {nvidia.com/gpu: 0.5}}") });
      assert.equal(m.length, 2, m.join("\n"));
      assert.ok(m.some((x) => /resources\.limits\.nvidia\.com\/gpu: "0\.5" is not a number of whole units for nvidia\.com\/gpu: an extended resource cannot be split/.test(x)), m.join("\n"));
      assert.ok(m.some((x) => /resources\.requests\.nvidia\.com\/gpu: "0\.5" is not a number of whole units/.test(x)), m.join("\n"));
    });
    it("a GPU request without a limit", () => refuses(resources("{requests: {nvidia.com/gpu: 1}}"), /resources\.limits\.nvidia\.com\/gpu: is missing: nvidia\.com\/gpu is requested, and Kubernetes requires a limit for it \(set limits: \{nvidia\.com\/gpu: 1\}/));
    it("a GPU request below its limit", () => refuses(resources("{requests: {nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 2}}"), /the request 1 is not equal to the limit 2 \(nvidia\.com\/gpu cannot be overcommitted/));
    it("a GPU limit alone is fine (the request defaults to it)", () => accepts(resources("{limits: {nvidia.com/gpu: 2}}")));
    it("huge pages below their limit", () => refuses(resources("{requests: {cpu: 1, hugepages-2Mi: 2Mi}, limits: {hugepages-2Mi: 4Mi}}"), /hugepages-2Mi cannot be overcommitted/));
    it("huge pages without cpu or memory", () => refuses(resources("{requests: {hugepages-2Mi: 2Mi}, limits: {hugepages-2Mi: 2Mi}}"), /resources: huge pages are requested without cpu or memory/));
    it("huge pages with a memory limit only are fine", () => accepts(resources("{requests: {hugepages-2Mi: 2Mi}, limits: {hugepages-2Mi: 2Mi, memory: 1Gi}}")));
  });

  describe("tolerations (ValidateTolerations)", () => {
    it("Equal with key and value, Exists with a key, Exists with no key, are accepted", () => {
      accepts(toleration("{key: dedicated, operator: Equal, value: dagster, effect: NoSchedule}"));
      accepts(toleration("{key: dedicated, operator: Exists}"));
      accepts(toleration("{operator: Exists}"));
      accepts(toleration("{key: dedicated, value: dagster}"));
      accepts(toleration("{key: example.com/dedicated, operator: Exists, effect: NoExecute, tolerationSeconds: 0}"));
    });
    it("Equal with no key", () => refuses(toleration("{operator: Equal, value: x}"), /tolerations\[0\]\.operator: is Equal with no key \(Kubernetes requires operator Exists when key is empty/));
    it("no operator and no key", () => refuses(toleration("{effect: NoSchedule}"), /tolerations\[0\]\.operator: is Equal \(unset\) with no key/));
    it("an invalid key", () => refuses(toleration("{key: \"bad key!\", operator: Exists}"), /tolerations\[0\]\.key: "bad key!" is not a taint key: the name "bad key!" must be 1-63 characters/));
    it("a key with two slashes", () => refuses(toleration("{key: a/b/c, operator: Exists}"), /is not a taint key: the key "a\/b\/c" has 2 slashes/));
    it("an invalid value", () => refuses(toleration("{key: k, value: \"not valid!\"}"), /tolerations\[0\]\.value: "not valid!": a label value must be at most 63 characters/));
    it("a value 64 characters long", () => refuses(toleration(`{key: k, value: ${"v".repeat(64)}}`), /tolerations\[0\]\.value: .*a label value must be at most 63/));
    it("a value with Exists", () => refuses(toleration("{key: k, operator: Exists, value: v}"), /tolerations\[0\]\.value: is set, but operator is Exists/));
    it("an unknown operator", () => refuses(toleration("{key: k, operator: In}"), /tolerations\[0\]\.operator: "In" is not Exists or Equal/));
    it("an unknown effect", () => refuses(toleration("{key: k, operator: Exists, effect: Never}"), /tolerations\[0\]\.effect: "Never" is not a taint effect/));
    for (const effect of ["NoSchedule", "PreferNoSchedule", "NoExecute"]) it(`effect ${effect}`, () => accepts(toleration(`{key: k, operator: Exists, effect: ${effect}}`)));
    it("tolerationSeconds without NoExecute", () => refuses(toleration("{key: k, operator: Exists, effect: NoSchedule, tolerationSeconds: 30}"), /tolerations\[0\]\.tolerationSeconds: is set, but effect is not NoExecute/));
    it("tolerationSeconds that is not a whole number", () => refuses(toleration("{key: k, operator: Exists, effect: NoExecute, tolerationSeconds: 1.5}"), /tolerationSeconds: 1\.5 is not a whole number of seconds/));
    it("negative tolerationSeconds", () => refuses(toleration("{key: k, operator: Exists, effect: NoExecute, tolerationSeconds: -1}"), /tolerationSeconds: -1 is not a whole number of seconds/));
    it("an unknown key in a toleration", () => refuses(toleration("{key: k, operator: Exists, efect: NoSchedule}"), /tolerations\[0\]\.efect: unknown key "efect" \(did you mean "effect"\?\)/));
    it("a toleration that is not a mapping", () => refuses(toleration("dedicated"), /tolerations\[0\]: "dedicated" is not a mapping/));
    it("tolerations that are not a list", () => refuses(`${GOOD}tolerations: {key: k}\n`, /tolerations: a mapping is not a list/));
    it("every bad toleration is reported, and the good ones kept only if all are good", () => {
      const m = messages({ "etl.yaml": toleration("{operator: Equal}, {key: k, operator: Exists}, {key: k, operator: Bad}") });
      assert.equal(m.length, 2, m.join("\n"));
      assert.match(m.join("\n"), /tolerations\[0\]\.operator/);
      assert.match(m.join("\n"), /tolerations\[2\]\.operator: "Bad"/);
    });
  });

  describe("labels, annotations, node selectors (IsQualifiedName, IsValidLabelValue, annotation size)", () => {
    it("a label key with two slashes", () => refuses(`${GOOD}labels: {a/b/c: x}\n`, /labels\.a\/b\/c: the key "a\/b\/c" is invalid: the key "a\/b\/c" has 2 slashes/));
    it("a label key name of 64 characters", () => refuses(`${GOOD}labels: {${"k".repeat(64)}: x}\n`, /must be 1-63 characters/));
    it("a label key name of 63 characters", () => accepts(`${GOOD}labels: {${"k".repeat(63)}: x}\n`));
    it("a label key prefix of 257 characters", () => refuses(`${GOOD}labels: {${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}.example.com/x: y}\n`, /the prefix .* must be a DNS subdomain \(lowercase, at most 253 characters\)/));
    it("a label value of 63 characters is fine, 64 is not", () => {
      accepts(`${GOOD}labels: {team: ${"v".repeat(63)}}\n`);
      refuses(`${GOOD}labels: {team: ${"v".repeat(64)}}\n`, /labels\.team: .*a label value must be at most 63 characters/);
    });
    it("a label value ending in -", () => refuses(`${GOOD}labels: {team: marketing-}\n`, /labels\.team: "marketing-": a label value/));
    it("an empty label value is fine", () => accepts(`${GOOD}labels: {team: ""}\n`));
    it("label and annotation keys in kubernetes.io or k8s.io", () => {
      refuses(`${GOOD}labels: {kubernetes.io/team: x}\n`, /labels\.kubernetes\.io\/team: the key .* is invalid: the prefix "kubernetes\.io" is reserved for Kubernetes itself/);
      refuses(`${GOOD}annotations: {node.k8s.io/x: y}\n`, /the prefix "node\.k8s\.io" is reserved for Kubernetes itself/);
      accepts(`${GOOD}labels: {example.com/team: x}\n`);
      accepts(`${GOOD}labels: {notkubernetes.io/team: x}\n`);
    });
    it("a label the chart sets itself", () => refuses(`${GOOD}labels: {deployment: x}\n`, /"deployment" is set by the chart itself/));
    it("an annotation the chart sets itself", () => refuses(`${GOOD}annotations: {checksum/dagster-user-deployment: x}\n`, /"checksum\/dagster-user-deployment" is set by the chart itself/));
    it("annotations of 300 KB (Kubernetes allows 256 KiB in all)", () => refuses(`${GOOD}annotations: {example.com/blob: ${"x".repeat(300_000)}}\n`, /annotations: hold 300,016 bytes; Kubernetes allows at most 256 KiB \(262,144 bytes\)/));
    it("annotations of exactly 256 KiB are fine", () => accepts(`${GOOD}annotations: {a: ${"x".repeat(262_143)}}\n`));
    it("one byte over 256 KiB is not", () => refuses(`${GOOD}annotations: {a: ${"x".repeat(262_144)}}\n`, /hold 262,145 bytes/));
    it("annotation sizes count bytes, not characters", () => refuses(`${GOOD}annotations: {a: ${"é".repeat(131_072)}}\n`, /hold 262,145 bytes/));
    it("a node selector value that is not a label value", () => refuses(`${GOOD}nodeSelector: {cloud.google.com/compute-class: "Balanced!"}\n`, /nodeSelector\.cloud\.google\.com\/compute-class: "Balanced!": a label value/));
    it("node selector keys may be Kubernetes' own", () => accepts(`${GOOD}nodeSelector: {kubernetes.io/arch: amd64}\n`));
    it("a non-string label value, with the quoted form", () => refuses(`${GOOD}labels: {tier: 1}\n`, /labels\.tier: 1 is a number, not a string \(quote it: "1"\)/));
  });

  describe("env (ConfigMap 1 MiB, Linux MAX_ARG_STRLEN)", () => {
    it("an env of 2 MB", () => {
      const env = Array.from({ length: 20 }, (_, i) => `  VAR_${String(i).padStart(2, "0")}: ${"x".repeat(100_000)}\n`).join("");
      refuses(`${GOOD}env:\n${env}`, /env: holds 2,000,120 bytes; its ConfigMap may hold at most 1 MiB/);
    });
    it("one value over 128 KiB", () => refuses(`${GOOD}env: {BIG: ${"x".repeat(131_072)}}\n`, /env\.BIG: is 131,076 bytes with its name; Linux starts no process with an environment string over 128 KiB/));
    it("one value just under 128 KiB is fine", () => accepts(`${GOOD}env: {BIG: ${"x".repeat(131_066)}}\n`));
    it("an env key that is not a variable name", () => refuses(`${GOOD}env: {1ST: x}\n`, /"1ST" is not an environment variable name/));
    it("a DAGSTER_CLOUD_ prefix the platform owns", () => refuses(`${GOOD}env: {DAGSTER_CLOUD_ANYTHING: x}\n`, /"DAGSTER_CLOUD_ANYTHING" is set by the platform for every location/));
    it("a reserved name", () => refuses(`${GOOD}env: {SNOWFLAKE_DATABASE: x}\n`, /"SNOWFLAKE_DATABASE" is set by the platform/));
    it("an env that is not a mapping", () => refuses(`${GOOD}env: [A]\n`, /env: a list is not a mapping/));
  });

  describe("bytes nothing can carry", () => {
    it("a NUL byte in an env value", () => refuses(`${GOOD}env: {A: "x\\0y"}\n`, /env\.A: contains a NUL byte \(\\0\), which no environment variable, label or Helm value can carry/));
    it("a NUL byte in a key, printed escaped", () => {
      const m = messages({ "etl.yaml": `${GOOD}env: {"A\\0": x}\n` });
      assert.equal(m.length, 2, m.join("\n"));
      assert.match(m[0], /env\."A\\u0000": the key contains a NUL byte/);
      assert.match(m[1], /env\."A\\u0000": "A\\u0000" is not an environment variable name/);
      assert.ok(!m.join("").includes("\0"), "no raw NUL is printed");
    });
    it("a NUL byte in a list item, reported with the item's own problem", () => {
      const m = messages({ "etl.yaml": `${GOOD}secrets: ["a\\0"]\n` });
      assert.equal(m.length, 2, m.join("\n"));
      assert.match(m[0], /secrets\[0\]: contains a NUL byte/);
      assert.match(m[1], /secrets\[0\]: "a\\u0000" is not a Kubernetes Secret name/);
    });
    it("a lone surrogate", () => {
      const m = messages({ "etl.yaml": `${GOOD}annotations: {a: "\\uD800"}\n` });
      assert.ok(m.some((x) => /annotations\.a: contains a lone UTF-16 surrogate, which is not valid Unicode/.test(x)), m.join("\n"));
    });
    it("a valid surrogate pair is fine", () => accepts(`${GOOD}annotations: {a: "\\U0001F600"}\n`));
  });

  describe("image references (distribution/reference)", () => {
    it("a name of 280 characters", () => refuses(`image: registry.example.com/${"a".repeat(260)}:1\nmodule: m\n`, /image: .* is not a valid image reference: the name \(registry and path\) is 281 characters; registries accept at most 255/));
    it("a name of exactly 255 characters", () => accepts(`image: registry.example.com/${"a".repeat(234)}:1\nmodule: m\n`));
    it("a tag of 129 characters", () => refuses(`image: registry.example.com/etl:${"t".repeat(129)}\nmodule: m\n`, /the tag .* is not a tag: at most 128/));
    it("a tag of 128 characters", () => accepts(`image: registry.example.com/etl:${"t".repeat(128)}\nmodule: m\n`));
    it("a port above 65535", () => refuses("image: registry.example.com:70000/etl:1\nmodule: m\n", /the registry "registry\.example\.com:70000" is not a host name with an optional port/));
    it("a malformed digest", () => refuses("image: registry.example.com/etl@sha256:abc\nmodule: m\n", /the digest "sha256:abc" is not sha256:<64 lowercase hex>/));
    it("surrounding white space", () => refuses("image: \" registry.example.com/etl:1\"\nmodule: m\n", /it is empty or has surrounding white space/));
    it("the reference is cut to an excerpt", () => {
      const m = refuses(`image: registry.example.com/${"a".repeat(3000)}:1\nmodule: m\n`, /characters\)/);
      assert.ok(m.length < 400, m);
    });
  });

  describe("other fields", () => {
    it("workingDirectory must be absolute", () => refuses(`${GOOD}workingDirectory: app\n`, /workingDirectory: "app" is not an absolute path/));
    it("workingDirectory with a newline", () => refuses(`${GOOD}workingDirectory: "/app\\n"\n`, /workingDirectory: .* is not an absolute path/));
    it("an absolute workingDirectory", () => accepts(`${GOOD}workingDirectory: /opt/app\n`));
    it("attribute must be a Python identifier", () => refuses(`${GOOD}attribute: my-defs\n`, /attribute: "my-defs" is not a Python identifier/));
    it("attribute defs", () => accepts(`${GOOD}attribute: defs\n`));
    it("module must be dotted identifiers", () => refuses("image: a.io/b:1\nmodule: etl-x.defs\n", /module: "etl-x\.defs" is not a Python module name/));
    it("package must be dotted identifiers", () => refuses("image: a.io/b:1\npackage: \"etl.\"\n", /package: "etl\." is not a Python package name/));
    it("file with a control character", () => refuses("image: a.io/b:1\nfile: \"/app/x.py\\t\"\n", /file: the path contains a control character/));
    it("file may hold dashes", () => accepts("image: a.io/b:1\nfile: /app/my-defs.py\n"));
    it("an empty module", () => refuses("image: a.io/b:1\nmodule: \"\"\n", /module: "" is not a non-empty string/));
    it("git.sha with a literal …", () => refuses(`${GOOD}git: {sha: 3f2a9c1…}\n`, /git\.sha: "3f2a9c1…" is not a git commit sha/));
    it("git.sha of 6 characters, and of 41", () => {
      refuses(`${GOOD}git: {sha: abcdef}\n`, /git\.sha: "abcdef" is not a git commit sha/);
      refuses(`${GOOD}git: {sha: ${"a".repeat(41)}}\n`, /is not a git commit sha/);
    });
    it("git.sha of 7, 40 and 64 characters", () => {
      accepts(`${GOOD}git: {sha: abcdef0}\n`);
      accepts(`${GOOD}git: {sha: ${"a".repeat(40)}}\n`);
      accepts(`${GOOD}git: {sha: ${"a".repeat(64)}}\n`);
    });
    it("git.sha in uppercase", () => refuses(`${GOOD}git: {sha: ABCDEF0}\n`, /is not a git commit sha/));
    it("git.branch git would refuse", () => {
      for (const b of ["feat..x", "feat x", "feat~1", "-x", "x.lock", "x/", "a@{b"]) refuses(`${GOOD}git: {branch: "${b}"}\n`, /git\.branch: .* is not a git branch name/);
      accepts(`${GOOD}git: {branch: feature/better-attribution}\n`);
    });
    it("git.repository that is not a URL", () => refuses(`${GOOD}git: {repository: acme/etl}\n`, /git\.repository: "acme\/etl" is not a repository URL/));
    it("git.repository as https or scp-like", () => {
      accepts(`${GOOD}git: {repository: "https://github.com/acme/etl"}\n`);
      accepts(`${GOOD}git: {repository: "git@github.com:acme/etl.git"}\n`);
    });
    it("an unknown git key", () => refuses(`${GOOD}git: {commit: abc1234}\n`, /git\.commit: unknown key "commit"/));
    it("secrets listed twice", () => refuses(`${GOOD}secrets: [a, a]\n`, /secrets\[1\]: "a" is listed twice/));
    it("a ConfigMap name that is not a Kubernetes name", () => refuses(`${GOOD}configMaps: [My_Map]\n`, /configMaps\[0\]: "My_Map" is not a Kubernetes ConfigMap name/));
    it("codeServer that is not a boolean", () => refuses(`${GOOD}codeServer: "yes"\n`, /codeServer: "yes" is not a boolean/));
    it("a pull policy with a did-you-mean", () => refuses(`${GOOD}imagePullPolicy: always\n`, /imagePullPolicy: "always" is not a pull policy \(did you mean "Always"\?\)/));
  });

  describe("names", () => {
    it("a name colliding with a Service the program creates", () => {
      const m = messages({ "dagster-webserver-pods.yaml": GOOD });
      assert.equal(m.length, 1);
      assert.match(m[0], /repos\/dagster-webserver-pods\.yaml: \(file name\): the location name "dagster-webserver-pods" is the name of a Service the platform creates in the namespace/);
    });
  });
});
