/**
 * The preview environment and the branches in it, as the committed stack files plan them: a
 * branch names no prod resource and reads only the preview stack; the preview stack owns the
 * cluster, network and branch RBAC; prod lends its registry and nothing else.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { parse } from "yaml";
import { DagsterNamespace } from "../components/DagsterNamespace";
import { Plan, PlanEntry } from "../offline/plan";
import { runOffline } from "../offline/runtime";
import { BRANCH_EGRESS_POLICY, BRANCH_LIMIT_RANGE, BRANCH_QUOTA, cidrContains, internetExceptions } from "../render/branchNamespace";
import { PROJECT_DIR, SHA_A, find, location, ofType, plan, reposDir, strings } from "./helpers/plan";

type Values = Record<string, unknown>;
const meta = (r: PlanEntry) => (r.inputs.metadata ?? {}) as Values;

describe("preview environment and branch isolation", function () {
  this.timeout(90000);
  let preview: Plan, prod: Plan, branch: Plan, prodInternal: Plan;
  before(async () => {
    preview = await plan("preview");
    prod = await plan("prod");
    branch = await plan("pr-42", { overrides: [`commitSha=${SHA_A}`] });
    prodInternal = await plan("prod", { overrides: ["ingress=internal", "ingressHost=dagster.internal.example.com"] });
  });

  describe("the preview stack", () => {
    it("a VPC with Cloud NAT and an Autopilot cluster in its own project; no Cloud SQL, registry or Dagster", () => {
      const cluster = find(preview, "gcp:container/cluster:Cluster", "cluster").inputs as Values & { workloadIdentityConfig: Values };
      assert.equal(cluster.enableAutopilot, true);
      assert.equal(cluster.workloadIdentityConfig.workloadPool, "acme-data-preview.svc.id.goog");
      assert.equal(ofType(preview, "gcp:compute/routerNat:RouterNat").length, 1);
      for (const prefix of ["gcp:sql/", "gcp:artifactregistry/", "gcp:servicenetworking/", "kubernetes:helm.sh/", "pulumi:pulumi:StackReference"]) {
        assert.deepEqual(preview.resources.filter((r) => r.type.startsWith(prefix)).map((r) => r.name), [], `no ${prefix}`);
      }
      assert.equal(preview.outputs.gcpProject, "acme-data-preview");
    });

    it("the control plane is reached from outside the VPC only through the IAM-gated DNS endpoint, which refuses Kubernetes tokens", () => {
      const cluster = find(preview, "gcp:container/cluster:Cluster", "cluster").inputs as { privateClusterConfig: Values; controlPlaneEndpointsConfig?: { dnsEndpointConfig: Values } };
      assert.equal(cluster.privateClusterConfig.enablePrivateEndpoint, true, "no public IP endpoint: a leaked ServiceAccount token is useless outside the VPC");
      assert.deepEqual(cluster.controlPlaneEndpointsConfig?.dnsEndpointConfig, { allowExternalTraffic: true, enableK8sTokensViaDns: false, enableK8sCertsViaDns: false });
      // CI (no fixed addresses) and branches reach it by name, with Google credentials only.
      const kubeconfig = String(branch.rawOutputs.kubeconfig);
      assert.match(kubeconfig, /server: https:\/\/gke-offline-plan-dagster-preview\.europe-west4\.gke\.goog\n/);
      assert.doesNotMatch(kubeconfig, /certificate-authority-data/, "the DNS endpoint's certificate is publicly trusted");
      assert.match(String(preview.outputs.clusterAccess), /--dns-endpoint$/);
      const prodCluster = find(prod, "gcp:container/cluster:Cluster", "cluster").inputs as { privateClusterConfig: Values; controlPlaneEndpointsConfig?: unknown };
      assert.deepEqual([prodCluster.privateClusterConfig.enablePrivateEndpoint, prodCluster.controlPlaneEndpointsConfig], [false, undefined], "prod's access is unchanged");
    });

    it("owns the one bucket branches write, granted to the preview cluster's workloads as a principal set", () => {
      assert.deepEqual(ofType(preview, "gcp:storage/bucket:Bucket").map((b) => b.inputs.name), ["acme-data-preview-dagster-branch-data"]);
      const bucket = find(preview, "gcp:storage/bucket:Bucket", "branch-data").inputs;
      assert.deepEqual([bucket.publicAccessPrevention, bucket.uniformBucketLevelAccess, bucket.lifecycleRules], ["enforced", true, [{ action: { type: "Delete" }, condition: { age: 30 } }]]);
      const grants = ofType(preview, "gcp:storage/bucketIAMMember:BucketIAMMember").map((g) => g.inputs);
      // GKE docs, principal identifiers, "All Pods in a specific cluster" (offline: a placeholder project number).
      assert.deepEqual(grants, [
        {
          bucket: "acme-data-preview-dagster-branch-data",
          role: "roles/storage.objectUser",
          member: "principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-data-preview.svc.id.goog/kubernetes.cluster/https://container.googleapis.com/v1/projects/acme-data-preview/locations/europe-west4/clusters/dagster-preview",
        },
      ]);
      assert.equal(preview.outputs.branchDataBucket, "acme-data-preview-dagster-branch-data");
    });

    it("binds the branch deployer (a config key) cluster-wide only to create its namespaces and bind itself there", () => {
      const binding = find(preview, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "branch-deployer-deployer").inputs as { subjects: Values[]; roleRef: Values };
      assert.deepEqual(binding.subjects, [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "dagster-branch-deployer@acme-data-preview.iam.gserviceaccount.com" }]);
      const rules = (find(preview, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "branch-deployer-deployer").inputs.rules as { resources: string[]; verbs: string[]; resourceNames?: string[] }[]);
      const grants = rules.flatMap((r) => r.resources.map((res) => `${res}:${r.verbs.join(",")}${r.resourceNames ? `@${r.resourceNames.join(",")}` : ""}`));
      assert.deepEqual(grants.sort(), ["clusterroles:bind@dagster-branch-namespace", "namespaces:get,list,watch,create,update,patch,delete", "rolebindings:create"]);
      assert.ok(!strings(rules).includes("*"), "no wildcard cluster-wide");
    });

    it("admission policies confine the deployer and hold every branch namespace to the objects a branch plan creates", () => {
      const policies = ofType(preview, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy").map((p) => String(meta(p).name)).sort();
      assert.deepEqual(policies, ["dagster-branch-deployer-confinement", "dagster-branch-egress-required", "dagster-branch-limits-required", "dagster-branch-namespace-limits", "dagster-branch-quota-required"]);
      const limits = find(preview, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", "branch-deployer-namespace-limits").inputs.spec as { matchConditions: Values[] };
      assert.deepEqual(limits.matchConditions.map((c) => c.expression), ["request.namespace.matches('^dagster-pr-[1-9][0-9]{0,8}$')"], "every request in a branch namespace, whoever makes it");
      const confinement = find(preview, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", "branch-deployer-confinement").inputs.spec as { matchConditions: Values[] };
      assert.match(String(confinement.matchConditions[0].expression), /request\.userInfo\.username == 'dagster-branch-deployer@acme-data-preview\.iam\.gserviceaccount\.com'/);
      const params = ofType(preview, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding")
        .map((b) => (b.inputs.spec as { paramRef?: { name: string; parameterNotFoundAction: string } }).paramRef)
        .filter((p) => p !== undefined);
      assert.deepEqual(params.map((p) => p?.name).sort(), [BRANCH_EGRESS_POLICY, BRANCH_LIMIT_RANGE, BRANCH_QUOTA].sort());
      for (const p of params) assert.equal(p?.parameterNotFoundAction, "Deny", "a branch namespace without the object runs no pod");
      const names = branch.resources.filter((r) => r.parent === "guardrails").map((r) => String(meta(r).name)).sort();
      assert.deepEqual(names, [BRANCH_EGRESS_POLICY, BRANCH_LIMIT_RANGE, BRANCH_QUOTA].sort(), "the branch creates exactly the objects the preview cluster requires");
    });

    it("prod lets the preview cluster's nodes pull its images: read on the repository, to the account the preview stack creates", () => {
      const reader = find(prod, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", "registry-reader-dagster-preview-nodes").inputs;
      assert.equal(reader.role, "roles/artifactregistry.reader");
      assert.equal(reader.member, `serviceAccount:${preview.outputs.nodeServiceAccount}`);
      const prodFile = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8")) as { config: Values };
      assert.equal(prodFile.config["dagster-platform:previewNodeServiceAccount"], preview.outputs.nodeServiceAccount, "Pulumi.prod.yaml names the preview stack's node account");
    });

    it("branches live in the preview project: Pulumi.yaml's project default is Pulumi.preview.yaml's", () => {
      const project = (f: string) => (parse(fs.readFileSync(path.join(PROJECT_DIR, f), "utf8")) as { config: Values }).config["gcp:project"];
      assert.equal(project("Pulumi.yaml"), project("Pulumi.preview.yaml"));
      assert.notEqual(project("Pulumi.prod.yaml"), project("Pulumi.preview.yaml"));
    });
  });

  describe("a branch (done when: npm run plan -- --stack pr-42 --config commitSha=…)", () => {
    it("reads only the preview stack, and deploys into the preview cluster", () => {
      assert.deepEqual(branch.reads, ["pulumi:pulumi:StackReference preview"]);
      assert.equal(find(branch, "pulumi:pulumi:StackReference", "preview").inputs.name, "organization/dagster-platform/preview");
      assert.match(String(branch.rawOutputs.kubeconfig), /current-context: gke_acme-data-preview_europe-west4_dagster-preview/);
    });

    it("names no prod resource: no Cloud SQL, no prod project, bucket, namespace, cluster or service account", () => {
      assert.deepEqual(branch.resources.filter((r) => r.type.startsWith("gcp:sql/")), []);
      // Images are the one thing a branch takes from prod: read-only, from prod's registry.
      const prodNames = branch.resources.flatMap((r) => strings(r.inputs).filter((s) => /acme-data-prod|dagster-prod\b/.test(s) && !/-docker\.pkg\.dev\/acme-data-prod\/dagster\//.test(s)).map((s) => `${r.type} ${r.name}: ${s}`));
      assert.deepEqual(prodNames, []);
      for (const r of branch.resources.filter((x) => x.type.startsWith("kubernetes:") && x.type !== "kubernetes:core/v1:Namespace")) {
        assert.equal(meta(r).namespace ?? r.inputs.namespace, "dagster-pr-42", `${r.type} ${r.name}`);
      }
    });

    it("owns nothing in GCP: its logs and defs state go under pr-42/ of the preview stack's bucket, and its pods impersonate no one", () => {
      assert.deepEqual(branch.resources.filter((r) => r.type.startsWith("gcp:") || r.type === "pulumi:providers:gcp").map((r) => `${r.type} ${r.name}`), []);
      const values = find(branch, "kubernetes:helm.sh/v3:Release", "dagster").inputs.values as { computeLogManager: { config: { gcsComputeLogManager: Values } }; additionalInstanceConfig: { defs_state_storage: { config: Values } } };
      assert.deepEqual(values.computeLogManager.config.gcsComputeLogManager, { bucket: preview.outputs.branchDataBucket, prefix: "pr-42/compute-logs" });
      assert.equal(values.additionalInstanceConfig.defs_state_storage.config.base_path, `gs://${preview.outputs.branchDataBucket}/pr-42/defs-state`);
      assert.doesNotMatch(JSON.stringify(branch.resources.map((r) => r.inputs)), /iam\.gke\.io\/gcp-service-account/, "no Workload Identity annotation");
      assert.equal(branch.outputs.branchData, `gs://${preview.outputs.branchDataBucket}/pr-42/`);
    });

    it("binds the deployer in its namespace with the namespace role, before anything else goes there", () => {
      const binding = find(branch, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "namespace-deployer").inputs as { roleRef: Values; subjects: Values[] };
      assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "dagster-branch-namespace" });
      assert.equal(binding.subjects[0].name, preview.outputs.branchDeployer);
    });

    it("an egress NetworkPolicy, a ResourceQuota and a LimitRange in dagster-pr-42, left to the namespace's deletion", () => {
      const egress = find(branch, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "guardrails-egress");
      const spec = egress.inputs.spec as { podSelector: Values; policyTypes: string[]; egress: { to: Values[]; ports?: Values[] }[] };
      assert.deepEqual([spec.podSelector, spec.policyTypes], [{}, ["Egress"]]);
      const internet = spec.egress.find((e) => strings(e.to).includes("0.0.0.0/0"));
      assert.deepEqual(internet?.ports, [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 80 }]);
      assert.ok(spec.egress.some((e) => strings(e.to).includes("192.0.2.20/32")), "the control plane, from the preview stack's output");
      const quota = find(branch, "kubernetes:core/v1:ResourceQuota", "guardrails-quota").inputs.spec as { hard: Values };
      assert.deepEqual([quota.hard["requests.cpu"], quota.hard["requests.memory"], quota.hard["services.loadbalancers"]], ["8", "32Gi", "0"]);
      for (const r of [egress, find(branch, "kubernetes:core/v1:ResourceQuota", "guardrails-quota"), find(branch, "kubernetes:core/v1:LimitRange", "guardrails-limits")]) {
        assert.equal(meta(r).namespace, "dagster-pr-42");
        assert.equal(r.options.retainOnDelete, true, `${r.name}: the deployer may not delete it; the namespace's deletion does`);
      }
    });

    it("prod's internal webserver is out of reach: another cluster, no peering, and its ranges excepted from branch egress", () => {
      const internet = (find(branch, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "guardrails-egress").inputs.spec as { egress: { to: { ipBlock?: { cidr: string; except?: string[] } }[] }[] }).egress
        .flatMap((e) => e.to)
        .find((p) => p.ipBlock?.cidr === "0.0.0.0/0");
      const except = internet?.ipBlock?.except ?? [];
      const proxy = find(prodInternal, "gcp:compute/subnetwork:Subnetwork", "network-proxy-only").inputs.ipCidrRange as string;
      const nodes = find(prodInternal, "gcp:compute/subnetwork:Subnetwork", "network-nodes").inputs.ipCidrRange as string;
      for (const range of [proxy, nodes, "10.16.0.0/14"]) assert.ok(except.some((e) => cidrContains(e, range)), `${range} is excepted`);
      for (const p of [preview, prodInternal, branch]) assert.deepEqual(p.resources.filter((r) => /peering/i.test(r.type)).map((r) => r.type), [], `${p.stack} peers no network`);
      assert.notEqual(find(preview, "gcp:compute/network:Network", "network").inputs.name, undefined);
      assert.match(String(branch.rawOutputs.kubeconfig), /dagster-preview/);
      assert.doesNotMatch(String(branch.rawOutputs.kubeconfig), /acme-data-prod/);
    });

    it("its own PostgreSQL; Dagster's releases and the Postgres Secret depend on it, so destroy removes Dagster first", () => {
      const sts = find(branch, "kubernetes:apps/v1:StatefulSet", "postgres");
      const container = ((sts.inputs.spec as Values).template as { spec: { containers: Values[] } }).spec.containers[0];
      assert.match(String(container.image), /^docker\.io\/library\/postgres:16\.\d+$/);
      assert.equal(find(branch, "kubernetes:core/v1:PersistentVolumeClaim", "postgres-data").inputs.spec && meta(find(branch, "kubernetes:core/v1:PersistentVolumeClaim", "postgres-data")).namespace, "dagster-pr-42");
      assert.ok(sts.options.dependsOn.includes("guardrails-egress"), "its pod waits for the guardrails the cluster requires");
      for (const r of [...ofType(branch, "kubernetes:helm.sh/v3:Release"), find(branch, "kubernetes:core/v1:Secret", "postgres-password")]) {
        assert.ok(r.options.dependsOn.includes("postgres"), `${r.name} depends on the database`);
      }
      assert.equal(branch.outputs.postgresHost, "dagster-postgresql.dagster-pr-42.svc.cluster.local");
    });

    it("caps concurrent runs with the QueuedRunCoordinator, configurably; prod is not capped", async () => {
      const coordinator = (p: Plan) => ((p.values.dagster as Values).dagsterDaemon as Values).runCoordinator;
      assert.deepEqual(coordinator(branch), { enabled: true, type: "QueuedRunCoordinator", config: { queuedRunCoordinator: { maxConcurrentRuns: 4 } } });
      assert.equal(coordinator(prod), undefined);
      const two = await plan("pr-42", { overrides: [`commitSha=${SHA_A}`, "branchMaxConcurrentRuns=2", "snowflake=false"] });
      assert.equal(((coordinator(two) as Values).config as { queuedRunCoordinator: Values }).queuedRunCoordinator.maxConcurrentRuns, 2);
    });

    it("a location's Secret and ConfigMap are copied from the preview stack into the branch namespace, and referenced as required", async () => {
      const repos = reposDir({ "etl.yaml": location("registry.example.com/etl:1.0.0", "secrets: [marketing-api-tokens]\nconfigMaps: [etl-settings]\n") });
      const p = await plan("pr-42", { repos, overrides: [`commitSha=${SHA_A}`, "snowflake=false", "branchConfigMapNames=etl-settings"] });
      const secret = find(p, "kubernetes:core/v1:Secret", "branch-secret-marketing-api-tokens");
      assert.deepEqual([meta(secret).name, meta(secret).namespace, secret.inputs.stringData], ["marketing-api-tokens", "dagster-pr-42", "[secret]"]);
      const cm = find(p, "kubernetes:core/v1:ConfigMap", "branch-configmap-etl-settings");
      assert.deepEqual([meta(cm).name, meta(cm).namespace], ["etl-settings", "dagster-pr-42"]);
      const d = (p.values["code-etl"] as { deployments: { envSecrets: Values[]; envConfigMaps: Values[] }[] }).deployments[0];
      assert.deepEqual([d.envSecrets, d.envConfigMaps], [[{ name: "marketing-api-tokens" }], [{ name: "etl-settings" }]]);
      const release = find(p, "kubernetes:helm.sh/v3:Release", "code-etl");
      assert.ok(release.options.dependsOn.includes("branch-secret-marketing-api-tokens") && release.options.dependsOn.includes("branch-configmap-etl-settings"));
    });
  });

  it("prod's Cloud SQL holds only prod's user and database, and the database is abandoned, never dropped, by Pulumi", () => {
    assert.deepEqual(ofType(prod, "gcp:sql/user:User").map((u) => u.inputs.name), ["dagster"]);
    const db = find(prod, "gcp:sql/database:Database", "postgres-dagster");
    assert.equal(db.inputs.deletionPolicy, "ABANDON");
    assert.equal(db.options.protect, true);
  });
});

describe("a branch namespace's name waits for the deployer's binding", () => {
  it("everything placed by the name depends on the RoleBinding (the deployer has no rights there before)", async () => {
    let name: pulumi.Output<string> | undefined;
    await runOffline({
      project: "dagster-platform",
      stack: "pr-7",
      config: {},
      secretKeys: [],
      computed: { project: "acme-data-preview", region: "europe-west4", stackOutputs: () => Promise.reject(new Error("no stack reference here")) },
      program: () => {
        const ns = new DagsterNamespace("namespace", { name: "dagster-pr-7", deploymentKind: "branch", allowedIngressCidrs: [], bindDeployer: { user: "d@acme-data-preview.iam.gserviceaccount.com", clusterRole: "dagster-branch-namespace", bindingName: "dagster-branch-deployer" } });
        name = ns.name;
      },
    });
    // Pulumi records an Output's resources as the dependencies of whatever takes it as input.
    const deps = await (name as unknown as { allResources(): Promise<Set<pulumi.Resource>> }).allResources();
    const types = await Promise.all([...deps].map((r) => new Promise<string>((resolve) => (r as pulumi.CustomResource).urn.apply(resolve))));
    assert.ok(types.some((u) => u.includes("RoleBinding::namespace-deployer")), JSON.stringify(types));
  });
});

describe("branch egress ranges", () => {
  it("a CIDR lies inside another only when its prefix is at least as long and its network bits match", () => {
    assert.equal(cidrContains("10.0.0.0/8", "10.16.0.0/14"), true);
    assert.equal(cidrContains("10.0.0.0/8", "11.0.0.0/8"), false);
    assert.equal(cidrContains("10.16.0.0/14", "10.0.0.0/8"), false);
    assert.equal(cidrContains("10.0.0.0/9", "10.0.0.0/8"), false, "a wider range is never inside a narrower one");
    assert.equal(cidrContains("172.16.0.0/12", "172.31.255.0/24"), true);
    assert.equal(cidrContains("172.16.0.0/12", "172.32.0.0/24"), false);
  });

  it("internet egress excepts every private range, plus VPC ranges that are not private (privately used public addresses)", () => {
    assert.deepEqual(internetExceptions(["10.10.0.0/20", "192.168.4.0/22"]), ["10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"]);
    assert.deepEqual(internetExceptions(["198.51.100.0/24"]), ["10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "198.51.100.0/24"]);
  });
});
