/**
 * Resources as the rules see them: plain data, so a rule is a pure function that a test can call
 * with a literal object. index.ts adapts Pulumi's policy arguments to these shapes.
 */
export type Props = Record<string, unknown>;

/** One resource, for rules that judge it alone. */
export interface PolicyInput {
  type: string;
  props: Props;
}

/** One resource of the stack, for rules that need to see others (or the resource options). */
export interface StackResource extends PolicyInput {
  name: string;
  urn: string;
  /** `opts.protect`: `pulumi destroy` refuses to delete it. */
  protect: boolean;
  /**
   * The `import` option: the resource adopts an existing one. The policy engine does not pass it
   * (AnalyzerResourceOptions has no such field, Pulumi 3.248); offline plans record it.
   */
  importId?: string;
}

/** A stack rule's finding; `urn` pins it on one resource in Pulumi's output. */
export interface StackViolation {
  message: string;
  urn?: string;
}

/** How stack rules name a resource in messages: `Bucket buckets-compute-logs`. */
export function describe(r: StackResource): string {
  return `${r.type.slice(r.type.lastIndexOf(":") + 1)} ${r.name}`;
}
