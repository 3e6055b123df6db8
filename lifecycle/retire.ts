/**
 * Retiring a branch stack without running any of its providers: what `down` and the reaper do
 * instead of `pulumi destroy`. A branch's state is written by pull-request code, and destroying
 * runs code kept in it (a dynamic resource's provider is JavaScript serialised into the state; a
 * Kubernetes provider's kubeconfig may carry an `exec` command), so a reaper on the default branch
 * that destroyed would run a pull request's code with a default-branch job's reach. Instead, for
 * pull request <N>, from its number alone:
 *
 *   1. `pulumi stack export` (reads the checkpoint; nothing runs) and refuse the stack, changing
 *      nothing, when it lists a resource the next steps would leak (lifecycle/retireInventory.ts);
 *   2. `kubectl delete namespace dagster-pr-<N>` with the preview stack's kubeconfig, waiting
 *      until it is gone (lifecycle/kubectl.ts);
 *   3. DROP_BRANCH(<N>) through the branch procedures' client, when branches have Snowflake objects;
 *   4. `pulumi stack rm --force`: removes the state without loading a provider
 *      (pkg/cmd/pulumi/stack/stack_remove.go → backend.RemoveStack; the DIY backend takes the
 *      stack's lock, reads the checkpoint to count resources and deletes the file:
 *      pkg/backend/diy/backend.go RemoveStack, state.go removeStack, at v3.248.0), and only
 *      when the state is still what step 1 read: after a deploy that ran meanwhile, it starts over.
 *
 * Both the reaper and `down` retire (lifecycle/README.md says why `down` does not destroy).
 *
 * ASSUMPTION (lifecycle/retireInventory.ts): branch stacks own no GCP resources; everything is in
 * the namespace, plus the Snowflake objects. A state that says otherwise is refused loudly.
 */
import { errorMessage, LifecycleDeps } from "./deps";
import { deleteNamespace } from "./kubectl";
import { KubeconfigFile, kubeconfigProblems, writeKubeconfig } from "./kubeconfig";
import { retryOnLock } from "./locks";
import { branchNamespaceName, branchStackName } from "./names";
import { exportState, isStackNotFound, stackOutput } from "./readCli";
import { exportedResources, Inventory, retireInventory } from "./retireInventory";
import { RetireSettings } from "./retireSettings";
import { SnowflakeClient } from "./snowflake";
import { PREVIEW_OUTPUTS } from "../platform/outputs";
import { StackNotFoundError } from "@pulumi/pulumi/automation";

/** A stack deployed again during this many attempts is kept for the next run. */
const MAX_ATTEMPTS = 3;

export class RetireRefusedError extends Error {
  constructor(stack: string, problems: string[]) {
    super(
      `${stack} is kept: retiring it would leak what its state lists outside the namespace and the Snowflake objects the retire path cleans:\n` +
        problems.map((p) => `  - ${p}`).join("\n") +
        `\nNothing was changed. Delete those resources by hand (read what they are first: the state was written by pull-request code), take them out of the state with \`pulumi state delete <urn> --stack ${stack}\` (an edit of the state; no provider runs), then retire it again (npm run branch -- retire); if branches gained a new kind of resource on purpose, teach lifecycle/retireInventory.ts how it is cleaned.`,
    );
    this.name = "RetireRefusedError";
  }
}

export type RetireResult = { stack: string; status: "retired" | "absent" };

interface Inspection {
  settings: RetireSettings;
  /** The export as read, compared again right before the state is removed. */
  state: string;
  inventory: Inventory;
}

export class Retirer {
  private readonly kubeconfigs = new Map<string, Promise<KubeconfigFile>>();

  constructor(
    private readonly deps: LifecycleDeps,
    /** Per listed stack name: retireSettingsFor this checkout. */
    private readonly settingsFor: (stack: string) => RetireSettings,
  ) {}

  /** The stack's state and what retiring it removes; undefined when the stack does not exist. Runs nothing. */
  async inspect(stack: string, pr: number): Promise<Inspection | undefined> {
    const settings = this.settingsFor(stack);
    let state: string;
    try {
      state = await exportState(await this.deps.workspace(), stack);
    } catch (e) {
      if (isStackNotFound(e)) return undefined;
      throw e;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(state);
    } catch {
      parsed = undefined;
    }
    const resources = exportedResources(parsed);
    if (!resources) throw new RetireRefusedError(stack, ["`pulumi stack export` printed no deployment this retire path can read"]);
    const inventory = retireInventory(resources, pr, settings.inventory);
    if (inventory.problems.length > 0) throw new RetireRefusedError(stack, inventory.problems);
    return { settings, state, inventory };
  }

  /**
   * The four steps; the stack is reported retired only once its state is gone. A deploy that
   * wrote the state meanwhile (a close during a running deploy, a push to a stale pull request)
   * makes it start over, so what that deploy created goes too; after MAX_ATTEMPTS it gives up
   * and keeps the stack.
   */
  async retire(stack: string, pr: number, reason: string): Promise<RetireResult> {
    for (let attempt = 1; ; attempt++) {
      const seen = await this.inspect(stack, pr);
      if (!seen) {
        this.deps.log.info(`${stack} does not exist: nothing to retire`);
        return { stack, status: "absent" };
      }
      await this.cleanUp(stack, pr, reason, seen);
      const removed = await this.removeState(stack, seen.state);
      if (removed !== "changed") {
        this.deps.log.info(removed === "removed" ? `${stack} retired: its state is removed` : `${stack} was removed meanwhile`);
        return { stack, status: removed === "removed" ? "retired" : "absent" };
      }
      if (attempt >= MAX_ATTEMPTS) throw new Error(`${stack} was deployed again during each of ${MAX_ATTEMPTS} attempts to retire it: its state is kept (the next run retires it)`);
      this.deps.log.info(`${stack} was deployed while it was being retired: starting over, so that what the deploy created goes too`);
    }
  }

  /** Steps 2 and 3: the namespace, then the Snowflake objects. */
  private async cleanUp(stack: string, pr: number, reason: string, seen: Inspection): Promise<void> {
    const { log } = this.deps;
    const namespace = branchNamespaceName(pr);
    const snowflake = this.snowflakeFor(seen.settings);
    const kubectl = this.deps.kubectl;
    if (!kubectl) throw new Error("retiring a branch stack needs kubectl");
    log.info(`retiring ${stack} (${reason}) without running its providers: ${seen.inventory.namespaced} resource(s) go with namespace ${namespace}${snowflake ? `, the Snowflake objects of #${pr} with DROP_BRANCH` : ""}`);
    await deleteNamespace(kubectl, (await this.kubeconfig(seen.settings.previewStack)).path, namespace);
    log.info(`namespace ${namespace} is gone`);
    if (snowflake) {
      await snowflake.dropBranch(pr);
      log.info(`dropped the Snowflake objects of #${pr}`);
    }
  }

  /** Deletes the temporary kubeconfig files. */
  close(): void {
    for (const file of this.kubeconfigs.values()) file.then((f) => f.remove(), () => undefined);
    this.kubeconfigs.clear();
  }

  private snowflakeFor(settings: RetireSettings): SnowflakeClient | undefined {
    if (settings.inventory.productionDatabase === undefined) return undefined;
    if (!this.deps.snowflake) throw new Error(`retiring needs Snowflake access: this project's branches have Snowflake objects (config snowflake) to drop with DROP_BRANCH (set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_PRIVATE_KEY)`);
    return this.deps.snowflake();
  }

  /** `stack rm --force`, waiting out a lock, but never over a state that changed since it was read. */
  private async removeState(stack: string, seen: string): Promise<"removed" | "absent" | "changed"> {
    const ws = await this.deps.workspace();
    try {
      return await retryOnLock(
        stack,
        "removing",
        async () => {
          if ((await exportState(ws, stack)) !== seen) return "changed";
          await ws.removeStack(stack, { force: true });
          return "removed";
        },
        { wait: this.deps.lockWait, sleep: this.deps.sleep, log: (m) => this.deps.log.info(m) },
      );
    } catch (e) {
      if (e instanceof StackNotFoundError || isStackNotFound(e)) return "absent";
      throw e;
    }
  }

  /** The preview stack's kubeconfig, checked, in a 0600 file; fetched once per preview stack. */
  private kubeconfig(previewStack: string): Promise<KubeconfigFile> {
    let file = this.kubeconfigs.get(previewStack);
    if (!file) {
      file = (async () => {
        const value = await stackOutput(await this.deps.workspace(), previewStack, PREVIEW_OUTPUTS.kubeconfig);
        const problems = typeof value === "string" ? kubeconfigProblems(value) : ["it is not a string"];
        if (problems.length > 0) throw new Error(`the kubeconfig output of ${previewStack} is refused: ${problems.join("; ")}`);
        return writeKubeconfig(value as string);
      })();
      this.kubeconfigs.set(previewStack, file);
    }
    return file.catch((e: unknown) => {
      throw new Error(`cannot reach the cluster: ${errorMessage(e)}`);
    });
  }
}

/** One stack, as the reaper retires it: `down`, and `npm run branch -- retire --pr <N>` (GitLab's reaper calls that). */
export async function retireBranch(deps: LifecycleDeps, pr: number, settingsFor: (stack: string) => RetireSettings, reason: string): Promise<RetireResult> {
  const retirer = new Retirer(deps, settingsFor);
  try {
    return await retirer.retire(branchStackName(pr), pr, reason);
  } finally {
    retirer.close();
  }
}
