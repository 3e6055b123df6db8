/**
 * The few GitHub calls the lifecycle makes, behind an interface so tests can use a fake and the
 * CLI uses Node's fetch against the REST API (GitHub.com or Enterprise via GITHUB_API_URL).
 */

export interface PullRequestInfo {
  number: number;
  state: "open" | "closed";
  merged: boolean;
  updatedAt?: string;
}

export interface IssueComment {
  id: number;
  body: string;
}

export interface GitHubClient {
  /** undefined when the repository has no such pull request. */
  getPullRequest(pr: number): Promise<PullRequestInfo | undefined>;
  listComments(pr: number): Promise<IssueComment[]>;
  createComment(pr: number, body: string): Promise<IssueComment>;
  updateComment(id: number, body: string): Promise<void>;
}

export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "GitHubError";
  }
}

export interface RestGitHubOptions {
  token: string;
  /** owner/repo */
  repository: string;
  apiUrl?: string;
  fetch?: typeof fetch;
}

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** The `rel="next"` URL of a Link header, which is how GitHub paginates. */
export function nextPageUrl(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="next"/.exec(part.trim());
    if (m) return m[1];
  }
  return undefined;
}

export class RestGitHubClient implements GitHubClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: RestGitHubOptions) {
    if (!REPOSITORY.test(opts.repository)) throw new Error(`GITHUB_REPOSITORY "${opts.repository}" is not owner/repo`);
    this.base = `${(opts.apiUrl ?? "https://api.github.com").replace(/\/+$/, "")}/repos/${opts.repository}`;
    this.fetchFn = opts.fetch ?? fetch;
  }

  private async request(url: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; json: unknown; link: string | null }> {
    const res = await this.fetchFn(url, {
      method: init.method ?? "GET",
      headers: {
        Accept: "application/vnd.github+json",
        Authorization: `Bearer ${this.opts.token}`,
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "dagster-platform-lifecycle",
        ...(init.body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.status === 404) return { status: 404, json, link: null };
    if (!res.ok) {
      const message = (json as { message?: string } | undefined)?.message ?? text.slice(0, 200);
      throw new GitHubError(res.status, `GitHub ${init.method ?? "GET"} ${url.replace(this.base, "")}: ${res.status} ${message}`);
    }
    return { status: res.status, json, link: res.headers.get("link") };
  }

  async getPullRequest(pr: number): Promise<PullRequestInfo | undefined> {
    const { status, json } = await this.request(`${this.base}/pulls/${pr}`);
    if (status === 404) return undefined;
    const p = json as { number: number; state: string; merged?: boolean; merged_at?: string | null; updated_at?: string };
    if (p.state !== "open" && p.state !== "closed") throw new GitHubError(status, `GitHub answered pull request ${pr} with state ${JSON.stringify(p.state)}`);
    return { number: p.number, state: p.state, merged: Boolean(p.merged ?? p.merged_at), updatedAt: p.updated_at };
  }

  async listComments(pr: number): Promise<IssueComment[]> {
    const comments: IssueComment[] = [];
    let url: string | undefined = `${this.base}/issues/${pr}/comments?per_page=100`;
    while (url) {
      const { status, json, link } = await this.request(url);
      if (status === 404) throw new GitHubError(404, `GitHub has no pull request ${pr} in ${this.opts.repository}`);
      for (const c of json as { id: number; body?: string | null }[]) comments.push({ id: c.id, body: c.body ?? "" });
      url = nextPageUrl(link);
    }
    return comments;
  }

  async createComment(pr: number, body: string): Promise<IssueComment> {
    const { status, json } = await this.request(`${this.base}/issues/${pr}/comments`, { method: "POST", body: { body } });
    if (status === 404) throw new GitHubError(404, `GitHub has no pull request ${pr} in ${this.opts.repository}`);
    const c = json as { id: number; body?: string };
    return { id: c.id, body: c.body ?? body };
  }

  async updateComment(id: number, body: string): Promise<void> {
    const { status } = await this.request(`${this.base}/issues/comments/${id}`, { method: "PATCH", body: { body } });
    if (status === 404) throw new GitHubError(404, `GitHub has no comment ${id} in ${this.opts.repository}`);
  }
}

/** The client CI configures through GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL. */
export function githubFromEnv(env: NodeJS.ProcessEnv, why: string): GitHubClient {
  const missing = ["GITHUB_TOKEN", "GITHUB_REPOSITORY"].filter((k) => !env[k]);
  if (missing.length > 0) throw new Error(`${missing.join(" and ")} must be set: ${why}`);
  return new RestGitHubClient({ token: env.GITHUB_TOKEN as string, repository: env.GITHUB_REPOSITORY as string, apiUrl: env.GITHUB_API_URL || undefined });
}
