import Hummingbird
import NIOCore
import OpenAPIKit
import PortcullisHTTP

/// `GET /openapi.json` and `GET /docs`, the page that renders it with its own script and
/// style (served from `/docs/*`, allowed by the page's `'self'` policy): no external asset.
enum DocsBlueprint {
    static func make(document: DocumentCache) -> Blueprint {
        var blueprint = Blueprint(name: "docs")
        blueprint.get("openapi.json", doc: RouteDoc(
            summary: "This document",
            responses: [.init(200, "The OpenAPI 3.1 document of every HTTP route.")]
        )) { _, _ in
            Response(status: .ok, headers: JSONResponse.headers, body: .init(byteBuffer: try document.json()))
        }
        blueprint.get("docs", doc: RouteDoc(summary: "This document, rendered as a page", responses: [.init(200, "An HTML page.")])) { _, _ in
            asset(DocsPage.html, type: "text/html; charset=utf-8")
        }
        blueprint.get("docs/docs.js", doc: RouteDoc(summary: "The page's script", responses: [.init(200, "JavaScript.")])) { _, _ in
            asset(DocsPage.script, type: "text/javascript; charset=utf-8")
        }
        blueprint.get("docs/docs.css", doc: RouteDoc(summary: "The page's style sheet", responses: [.init(200, "CSS.")])) { _, _ in
            asset(DocsPage.style, type: "text/css; charset=utf-8")
        }
        return blueprint
    }

    private static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}
