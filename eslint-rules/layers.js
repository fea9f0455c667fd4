// The layering rule: a file in src/<folder>/ may import only the folders ARCHITECTURE.md's table allows it. Every path
// form is resolved to the folder it lands in (relative `../x/…`, `src/x/…`, the package's own name `prism-persona/…`),
// and every import form is checked: static, type-only, re-exports, dynamic `import()`, `import("…")` types, require().
import path from "node:path";

const GUIDE = "see ARCHITECTURE.md: dependencies point down";

/**
 * Where `specifier`, imported from `fromFile`, lands: `{folder}` (src/<folder>/…), `{entry: true}` (src/index.ts or
 * the package's own name, i.e. the public entry point), `{testCode: true}` (test/ or bench/), or `undefined` (outside
 * prism: node:, npm packages, or a dynamic specifier).
 */
function resolveTarget(specifier, fromFile, root, packageName) {
    let rel;
    if (specifier === packageName) return {entry: true, viaPackage: true};
    if (specifier.startsWith(`${packageName}/`)) rel = specifier.slice(packageName.length + 1);
    else if (specifier.startsWith(".")) rel = path.relative(root, path.resolve(path.dirname(fromFile), specifier));
    else if (/^\/?(src|dist|test|bench)\//.test(specifier)) rel = specifier.replace(/^\//, "");
    else return undefined;
    const parts = rel.split(/[\\/]/);
    if (parts[0] === "test" || parts[0] === "bench") return {testCode: true};
    if (parts[0] !== "src" && parts[0] !== "dist") return undefined;
    const viaPackage = specifier.startsWith(`${packageName}/`);
    if (parts.length === 2 || parts[1] === "index" || /^index\.(ts|js|d\.ts)$/.test(parts[1] ?? "")) return {entry: true, viaPackage};
    return {folder: parts[1], viaPackage};
}

/** @type {import("eslint").Rule.RuleModule} */
export const layersRule = {
    meta: {
        type: "problem",
        docs: {description: "A src/ folder imports only the folders ARCHITECTURE.md allows it"},
        schema: [{
            type: "object",
            properties: {
                root: {type: "string"},
                packageName: {type: "string"},
                layers: {type: "object", additionalProperties: {type: "array", items: {type: "string"}}}
            },
            required: ["root", "packageName", "layers"],
            additionalProperties: false
        }],
        messages: {
            banned: "src/{{from}} must not import src/{{to}} (\"{{specifier}}\"): it may import only {{allowed}} ({{guide}})",
            entry: "library code must not import the public entry point (\"{{specifier}}\"): import the module itself ({{guide}})",
            selfName: "library code must not import prism by its package name (\"{{specifier}}\", which resolves to dist/): use a relative path ({{guide}})",
            testCode: "library code must not import test or bench code (\"{{specifier}}\") ({{guide}})",
            unknownFolder: "src/{{from}} is not in ARCHITECTURE.md's layer table: add it there and to `layers` in eslint.config.js"
        }
    },
    create(context) {
        const {root, packageName, layers} = context.options[0];
        const file = context.filename;
        const rel = path.relative(root, file).split(/[\\/]/);
        if (rel[0] !== "src" || rel.length < 3) return {};
        const from = rel[1];
        const isTest = /\.test\.ts$/.test(file);
        if (!(from in layers)) {
            return {Program(node) { context.report({node, messageId: "unknownFolder", data: {from}}); }};
        }
        const ok = layers[from];
        const check = (node, source) => {
            let specifier;
            if (source?.type === "Literal" && typeof source.value === "string") specifier = source.value;
            else if (source?.type === "TemplateLiteral" && source.expressions.length === 0) specifier = source.quasis[0].value.cooked;
            else return;
            const target = resolveTarget(specifier, file, root, packageName);
            if (!target) return;
            const data = {from, specifier, guide: GUIDE};
            if (target.testCode) {
                if (!isTest) context.report({node, messageId: "testCode", data});
            } else if (target.entry) {
                context.report({node, messageId: target.viaPackage ? "selfName" : "entry", data});
            } else if (target.folder !== from && target.folder !== "util" && !ok.includes("*") && !ok.includes(target.folder)) {
                context.report({node, messageId: "banned", data: {...data, to: target.folder, allowed: [...ok, "util"].join(", ")}});
            } else if (target.viaPackage) {
                context.report({node, messageId: "selfName", data});
            }
        };
        return {
            ImportDeclaration: (node) => check(node, node.source),
            ExportNamedDeclaration: (node) => node.source && check(node, node.source),
            ExportAllDeclaration: (node) => check(node, node.source),
            ImportExpression: (node) => check(node, node.source),
            TSImportType: (node) => check(node, node.source ?? node.argument?.literal),
            TSExternalModuleReference: (node) => check(node, node.expression),
            CallExpression: (node) => {
                if (node.callee.type === "Identifier" && node.callee.name === "require") check(node, node.arguments[0]);
            }
        };
    }
};

export default {rules: {layers: layersRule}};
