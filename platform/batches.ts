/**
 * Declares one resource per item in batches, yielding to the event loop between batches.
 * Declaring thousands of resources in one synchronous loop keeps the registration machinery of
 * every one of them (promises, resolvers, serialized inputs) alive at once: at 5,000 code
 * locations that alone is gigabytes. A yield lets the registrations already declared go out
 * (and, under the offline plan's mock monitor, complete) before the next batch is declared. It
 * never waits for a registration to finish, so a real `pulumi up` still deploys them all at once.
 */
export async function declareInBatches<T, R>(items: readonly T[], declare: (item: T) => R, batchSize = 50): Promise<R[]> {
  const declared: R[] = [];
  for (let start = 0; start < items.length; start += batchSize) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    for (const item of items.slice(start, start + batchSize)) declared.push(declare(item));
  }
  return declared;
}
