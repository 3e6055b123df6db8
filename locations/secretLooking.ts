/**
 * Keys that look like they carry a secret. Values under such keys belong in a Kubernetes Secret
 * (`secrets:` in a code-location file), never in a ConfigMap or in git. Shared by the repos/
 * validator and the policy pack. Matching is by word (split at `_`, `-`, `.` and camelCase), so
 * `TOKENIZER_MODEL` is fine and `DB_PASSWORD`, `apiKey`, `GITHUB_TOKEN` are not.
 */
const SECRET_WORDS = new Set(["PASSWORD", "PASSWD", "PWD", "SECRET", "SECRETS", "TOKEN", "CREDENTIAL", "CREDENTIALS", "CREDS", "APIKEY", "PASSPHRASE"]);
const SECRET_PAIRS = new Set(["PRIVATE KEY", "API KEY", "ACCESS KEY", "SECRET KEY", "CLIENT SECRET", "AUTH TOKEN"]);

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .split(/[_\-.\s/]+/)
    .filter(Boolean)
    .map((w) => w.toUpperCase());
}

export function looksSecret(key: string): boolean {
  const w = words(key);
  if (w.some((x) => SECRET_WORDS.has(x))) return true;
  for (let i = 0; i + 1 < w.length; i++) if (SECRET_PAIRS.has(`${w[i]} ${w[i + 1]}`)) return true;
  return false;
}
