interface OperationLike {
  summary?: string
  tags?: string[]
  requestBody?: { content?: Record<string, { schema?: unknown }> }
  responses?: Record<string, { description?: string }>
  security?: unknown[]
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!)

/** A self-contained HTML page of the OpenAPI document: every route, its body and its answers. */
export function renderDocs(document: {
  info: { title: string; version: string; description?: string }
  paths?: Record<string, Record<string, unknown> | undefined>
}): string {
  const byTag = new Map<string, string[]>()
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, value] of Object.entries(item ?? {})) {
      const op = value as OperationLike
      const tag = op.tags?.[0] ?? 'other'
      const body = op.requestBody?.content?.['application/json']?.schema
      const answers = Object.entries(op.responses ?? {})
        .map(([status, r]) => `<li><code>${status}</code> ${escapeHtml(r.description ?? '')}</li>`)
        .join('')
      const html = `<section><h3><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary ?? '')}${op.security?.length ? ' <em>(token required)</em>' : ''}</p>
${body ? `<details><summary>JSON body</summary><pre>${escapeHtml(JSON.stringify(body, null, 2))}</pre></details>` : ''}
<ul>${answers}</ul></section>`
      byTag.set(tag, [...(byTag.get(tag) ?? []), html])
    }
  }
  const sections = [...byTag]
    .map(([tag, ops]) => `<h2>${escapeHtml(tag)}</h2>${ops.join('\n')}`)
    .join('\n')
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(document.info.title)} API</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
section{border-top:1px solid #ddd;padding:.5rem 0}pre{background:#f6f6f6;padding:.5rem;overflow:auto}</style>
</head><body><h1>${escapeHtml(document.info.title)} API ${escapeHtml(document.info.version)}</h1>
<p>${escapeHtml(document.info.description ?? '')} The machine-readable document is at <a href="/openapi.json">/openapi.json</a>.</p>
${sections}</body></html>`
}
