/**
 * The database a Snowflake object reference starts in: `PRODUCTION`, `PRODUCTION.PUBLIC.T`,
 * `"PRODUCTION"."PUBLIC"`. Unquoted identifiers resolve to upper case; quoted ones are exact
 * (`""` is an escaped quote). undefined for an unterminated quote, which Snowflake rejects anyway.
 */
export function leadingIdentifier(reference: string): string | undefined {
  const s = reference.trim();
  if (!s.startsWith('"')) return s.split(".")[0].toUpperCase();
  let out = "";
  for (let i = 1; i < s.length; i++) {
    if (s[i] !== '"') out += s[i];
    else if (s[i + 1] === '"') out += s[++i];
    else return out;
  }
  return undefined;
}

/** Whether `reference` names `database` or something inside it; `database` is an unquoted identifier. */
export function referencesDatabase(reference: string, database: string): boolean {
  return leadingIdentifier(reference) === database.toUpperCase();
}
