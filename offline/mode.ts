/**
 * Whether this process is an offline plan (the mock runtime of `npm run plan`). Only the plan
 * harness, which a real `pulumi up` never loads, can switch it on: so the placeholder secrets it
 * allows can never reach a real deployment.
 */
let offline = false;
let placeholders: string[] = [];

export function enableOfflinePlan(): void {
  offline = true;
  placeholders = [];
}

export function offlinePlanEnabled(): boolean {
  return offline;
}

export function notePlaceholders(keys: readonly string[]): void {
  placeholders = [...keys];
}

export function plannedPlaceholders(): string[] {
  return [...placeholders];
}
