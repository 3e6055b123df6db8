/**
 * Keys that look like they carry a secret. Values under such keys belong in a Kubernetes Secret
 * (`secrets:` in a code-location file), never in a ConfigMap or in git. Shared by the repos/
 * validator and the policy pack. Matching is by word (split at `_`, `-`, `.` and camelCase), so
 * `TOKENIZER_MODEL` is fine and `DB_PASSWORD`, `apiKey`, `GITHUB_TOKEN` are not.
 */
const SECRET_WORDS = new Set(["PASSWORD", "PASSWD", "PWD", "SECRET", "SECRETS", "TOKEN", "CREDENTIAL", "CREDENTIALS", "CREDS", "APIKEY", "PASSPHRASE"]);
/** Two-word names of a secret whose words alone are harmless (SECRET KEY or AUTH TOKEN already match by SECRET, TOKEN). */
const SECRET_PAIRS = ["PRIVATE KEY", "API KEY", "ACCESS KEY"];

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .split(/[_\-.\s/]+/)
    .map((w) => w.toUpperCase());
}

export function looksSecret(key: string): boolean {
  const w = words(key);
  if (w.some((x) => SECRET_WORDS.has(x))) return true;
  // Words joined by single spaces, padded, so a pair matches whole words only.
  const spaced = ` ${w.join(" ")} `;
  return SECRET_PAIRS.some((pair) => spaced.includes(` ${pair} `));
}
