import type http from "node:http";
import net from "node:net";
import {HttpError} from "./http-error.js";

/** Whether `host` (an address to listen on, or a Host header's name) is this machine only. */
export function isLoopbackHost(host: string): boolean {
    const name = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
    if (name === "localhost" || name.endsWith(".localhost")) return true;
    if (net.isIPv4(name)) return name.startsWith("127.");
    if (net.isIPv6(name)) return name === "::1" || /^::ffff:127\./.test(name);
    return false;
}

/** The host name of a Host header (`name:port`, `[v6]:port`), or null when it is not one. */
function hostName(header: string): string | null {
    const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/i.exec(header.trim());
    return m ? m[1]! : null;
}

/**
 * Against DNS rebinding: a server bound to loopback answers only requests whose Host names a loopback address or
 * `localhost`. A web page on `evil.example` that re-resolves its name to 127.0.0.1 still sends `Host: evil.example`,
 * so it is refused (403). `allowedHosts` adds names (a reverse proxy on this machine that forwards its own Host), and
 * `*` turns the check off. Requests without a Host header (HTTP/1.0 tools) pass; browsers always send one.
 */
export function checkHostHeader(req: http.IncomingMessage, boundToLoopback: boolean, allowedHosts: readonly string[] = []): void {
    const header = req.headers.host;
    if (!boundToLoopback || header === undefined || allowedHosts.includes("*")) return;
    const name = hostName(header);
    if (name === null || !(isLoopbackHost(name) || allowedHosts.includes(name.toLowerCase()))) {
        throw new HttpError(403, `Host "${header}" is not allowed: this server listens on loopback and answers only Host: localhost, 127.0.0.1 or [::1] (a DNS rebinding guard); a proxy that forwards another name needs --allowed-host NAME`,
            "invalid_request_error", "host_not_allowed", null, {connection: "close"});
    }
}

/** Headers a browser app may read from prism's answers. */
const EXPOSED_HEADERS = "x-request-id, x-prism-route, x-prism-route-reason, x-prism-adapter, x-prism-gate-score, retry-after";

/**
 * CORS for browser apps served from `allowedOrigins` (exact origins such as `http://localhost:3000`, or `*`).
 * Returns the headers to add to an answer to a request from `origin`: none for other origins, so a browser keeps
 * pages from elsewhere from reading anything.
 */
export function corsHeaders(origin: string | undefined, allowedOrigins: readonly string[]): Record<string, string> {
    if (origin === undefined || allowedOrigins.length === 0) return {};
    const any = allowedOrigins.includes("*");
    if (!any && !allowedOrigins.includes(origin)) return {};
    return {"access-control-allow-origin": any ? "*" : origin, "access-control-expose-headers": EXPOSED_HEADERS, ...(any ? {} : {vary: "Origin"})};
}

/**
 * The answer to a CORS preflight (OPTIONS), sent before the API-key check since browsers never send credentials
 * with one: 204 with the allowed methods and headers for an allowed origin, a bare 204 for any other (the browser
 * then refuses the real request).
 */
export function answerPreflight(req: http.IncomingMessage, res: http.ServerResponse, allowedOrigins: readonly string[]): void {
    const cors = corsHeaders(req.headers.origin, allowedOrigins);
    const preflight = Object.keys(cors).length === 0 ? {} : {
        ...cors,
        "access-control-allow-methods": "GET, POST, OPTIONS",
        "access-control-allow-headers": sanitizeHeaderList(req.headers["access-control-request-headers"]) ?? "authorization, content-type, x-request-id",
        "access-control-max-age": "600"
    };
    res.writeHead(204, {...preflight, allow: "GET, POST, OPTIONS", "content-length": "0"});
    res.end();
}

/** A client's Access-Control-Request-Headers echoed back, when it is a plain list of header names. */
function sanitizeHeaderList(value: string | undefined): string | undefined {
    return value !== undefined && /^[\w-]+(?:\s*,\s*[\w-]+)*$/.test(value.trim()) && value.length <= 1000 ? value.trim() : undefined;
}
