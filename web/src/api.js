// Calls to mudi's HTTP API (same origin). Errors are RFC 9457 problem documents: ApiError keeps
// their detail and the parameter at fault so that forms can mark the field.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.param = problem?.param || '';
    this.problem = problem;
  }
}

async function failure(resp) {
  let problem = null;
  try {
    problem = await resp.json();
  } catch {
    // not JSON: keep the status alone
  }
  return new ApiError(resp.status, problem);
}

// resolve makes a server path (/api/…) relative to the page, so that the viewer also works
// behind a reverse proxy that serves mudi under a sub-path (/mudi/ → /mudi/api/…). Paths that
// already start with the page's path prefix (URLs the server wrote) are kept.
export function resolve(url) {
  if (!url.startsWith('/') || url.startsWith('//')) return url;
  const prefix = new URL('.', document.baseURI).pathname.replace(/\/$/, '');
  return prefix && url.startsWith(`${prefix}/`) ? url : prefix + url;
}

export async function getJSON(url, { signal } = {}) {
  const resp = await fetch(resolve(url), { signal, headers: { Accept: 'application/json' } });
  if (!resp.ok) throw await failure(resp);
  return resp.json();
}

// getText returns the body as text (kept verbatim for downloads) and parsed.
export async function getGeoJSON(url, { signal } = {}) {
  const resp = await fetch(resolve(url), { signal, headers: { Accept: 'application/geo+json' } });
  if (!resp.ok) throw await failure(resp);
  const text = await resp.text();
  return { text, data: JSON.parse(text) };
}

export async function postJSON(url, body, key) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/geo+json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  const resp = await fetch(resolve(url), { method: 'POST', headers, body: JSON.stringify(body) });
  if (!resp.ok) throw await failure(resp);
  const text = await resp.text();
  return { status: resp.status, text, data: JSON.parse(text) };
}

// patchJSON sends a JSON merge patch (RFC 7396) with the key and returns the parsed answer.
export async function patchJSON(url, patch, key) {
  const headers = { 'Content-Type': 'application/merge-patch+json', Accept: 'application/geo+json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  const resp = await fetch(resolve(url), { method: 'PATCH', headers, body: JSON.stringify(patch) });
  if (!resp.ok) throw await failure(resp);
  return resp.json();
}

// message returns a Chinese sentence for an error, with the server's detail when there is one.
export function message(err) {
  if (!(err instanceof ApiError)) return `请求失败：${err?.message || err}`;
  switch (err.status) {
    case 400: return `参数有误：${err.message}`;
    case 401: return '需要写入密钥：请填写服务的 API 密钥。';
    case 403: return '写入密钥无效：请检查 API 密钥。';
    case 404: return `未找到：${err.message}`;
    case 409: return `冲突：${err.message}`;
    case 413: return '请求过大。';
    case 503: return `服务暂不可用：${err.message}`;
    default: return `服务器错误（${err.status}）：${err.message}`;
  }
}
