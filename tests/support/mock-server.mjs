// A scripted HTTP server on loopback that records every request, for tests that need
// exact control over what "Kestra" answers.

import { createServer } from 'node:http';

/**
 * Starts a server whose answers come from `routes`: keys are `"METHOD /path"` (query
 * excluded), values are an answer or an array of answers used in turn (the last one
 * repeats). An answer is `{ status = 200, json, text, headers }`.
 * Resolves to `{ url, requests, stop }`; each request is `{ method, path, query, headers,
 * body }` with `body` a Buffer.
 */
export async function startMockServer(routes) {
  const requests = [];
  const served = new Map();

  const server = createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);

    const parsed = new URL(request.url, 'http://mock');
    const record = {
      method: request.method,
      path: parsed.pathname,
      rawPath: request.url.split('?')[0],
      query: parsed.searchParams,
      headers: request.headers,
      body: Buffer.concat(chunks),
    };
    requests.push(record);

    const key = `${request.method} ${record.rawPath}`;
    const script = routes[key];
    if (script === undefined) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: `Not Found: no mock for ${key}` }));
      return;
    }

    const turn = served.get(key) ?? 0;
    served.set(key, turn + 1);
    const answer = Array.isArray(script) ? script[Math.min(turn, script.length - 1)] : script;
    const headers = { ...(answer.headers ?? {}) };
    let body = '';
    if (answer.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(answer.json);
    } else if (answer.text !== undefined) {
      headers['content-type'] = 'text/plain';
      body = answer.text;
    }
    response.writeHead(answer.status ?? 200, headers);
    response.end(body);
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Parses a recorded multipart request body into a FormData. */
export async function formDataOf(request) {
  const contentType = request.headers['content-type'];
  return new Response(request.body, { headers: { 'content-type': contentType } }).formData();
}
