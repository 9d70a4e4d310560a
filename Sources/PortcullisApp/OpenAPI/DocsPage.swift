/// The `/docs` page: plain HTML, a small script that fetches `/openapi.json` and lists every
/// operation with its parameters, request schema and responses, and a style sheet.
enum DocsPage {
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Portcullis API</title>
        <link rel="stylesheet" href="/docs/docs.css">
        <script src="/docs/docs.js" defer></script>
        </head>
        <body>
        <header><h1>Portcullis API</h1><p>The machine-readable document is <a href="/openapi.json">/openapi.json</a>.</p></header>
        <main id="api"><p>Loading…</p></main>
        </body>
        </html>

        """

    static let style = """
        body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 2rem; color: #222; }
        h1 { margin-bottom: 0; }
        section.op { border: 1px solid #ccc; border-radius: 6px; margin: 1rem 0; padding: 0.5rem 1rem; }
        .method { display: inline-block; min-width: 4rem; font-weight: bold; text-transform: uppercase; }
        .get { color: #0a6; } .post { color: #06c; } .put, .patch { color: #a60; } .delete { color: #c00; }
        code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
        pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; }
        table { border-collapse: collapse; } td, th { border-bottom: 1px solid #eee; padding: 0.2rem 0.6rem; text-align: left; }
        .lock::after { content: " 🔒 bearer token"; font-size: 12px; color: #666; }

        """

    static let script = """
        "use strict";
        function el(tag, attrs, ...children) {
          const node = document.createElement(tag);
          for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
          for (const child of children) node.append(child);
          return node;
        }
        function resolve(doc, schema) {
          if (schema && schema.$ref) return doc.components.schemas[schema.$ref.split("/").pop()];
          return schema;
        }
        function schemaText(doc, schema) {
          return JSON.stringify(resolve(doc, schema), null, 2);
        }
        function render(doc) {
          const main = document.getElementById("api");
          main.replaceChildren(el("p", {}, doc.info.description || ""));
          for (const [path, item] of Object.entries(doc.paths)) {
            for (const [method, op] of Object.entries(item)) {
              if (typeof op !== "object" || !op.responses) continue;
              const title = el("h2", {}, el("span", { class: "method " + method }, method), " ", el("code", {}, path));
              if (op.security) title.classList.add("lock");
              const section = el("section", { class: "op" }, title, el("p", {}, op.summary || ""));
              if (op.description) section.append(el("p", {}, op.description));
              if (op.parameters && op.parameters.length) {
                const rows = op.parameters.map(p => el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in),
                  el("td", {}, JSON.stringify(p.schema))));
                section.append(el("h3", {}, "Parameters"), el("table", {}, ...rows));
              }
              if (op.requestBody) {
                const body = op.requestBody.content["application/json"];
                section.append(el("h3", {}, "Request body (application/json)"), el("pre", {}, schemaText(doc, body.schema)));
              }
              const rows = Object.entries(op.responses).map(([status, r]) => {
                const content = r.content && r.content["application/json"];
                return el("tr", {}, el("td", {}, status), el("td", {}, r.description),
                  el("td", {}, content ? el("code", {}, content.schema.$ref ? content.schema.$ref.split("/").pop() : "") : ""));
              });
              section.append(el("h3", {}, "Responses"), el("table", {}, ...rows));
              main.append(section);
            }
          }
          const schemas = el("section", { class: "op" }, el("h2", {}, "Schemas"));
          for (const [name, schema] of Object.entries(doc.components.schemas)) {
            schemas.append(el("h3", {}, name), el("pre", {}, JSON.stringify(schema, null, 2)));
          }
          main.append(schemas);
        }
        fetch("/openapi.json").then(r => r.json()).then(render).catch(e => {
          document.getElementById("api").replaceChildren(el("p", {}, "Could not load /openapi.json: " + e));
        });

        """
}
