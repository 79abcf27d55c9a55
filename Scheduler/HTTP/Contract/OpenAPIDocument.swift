import Foundation

/// Renders the OpenAPI 3.1 document from the operations and the component schemas: the document
/// the API serves at `/v1/openapi.json`, also committed as `Scheduler/HTTP/openapi.json` (a test
/// checks that the file is what this renders; `suanli-scheduler openapi` prints it).
enum OpenAPIDocument {
    static func render(operations: [Operation], components: [String: Schema], examples: [String: String], version: String) -> [UInt8] {
        var paths: [String: [String: Any]] = [:]
        for operation in operations {
            paths[operation.path, default: [:]][operation.method.rawValue.lowercased()] = self.operation(operation, components: components)
        }
        var schemas: [String: Any] = [:]
        for (name, schema) in components {
            var rendered = render(schema)
            if let example = examples[name] { rendered["examples"] = [try! JSONSerialization.jsonObject(with: Data(example.utf8))] }
            schemas[name] = rendered
        }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": [
                "title": "Suanli scheduler API",
                "version": version,
                "description": description,
            ],
            "servers": [["url": "/"]],
            "tags": Array(Set(operations.map(\.tag))).sorted().map { ["name": $0] },
            "paths": paths,
            "components": [
                "schemas": schemas,
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "description": "A user's token (the admin's is in <data-dir>/admin.token)."]],
            ],
        ]
        let data = try! JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return Array(data) + [UInt8(ascii: "\n")]
    }

    static let description = """
        The central scheduler of a city's compute: requests for compute, GPUs, storage and bandwidth, \
        the catalog of nodes, storage pools, sites and components, tenants with quotas and grants, \
        usage and billing, and operations.

        Every body is JSON and is checked against this document before anything else: a field the \
        document does not list, a value outside its range or pattern, or a malformed body is refused \
        with 400 and an error `{code, message, field}` naming the field by its path \
        (`requests[3].gpu.count`) in the units of the document. A well-formed request that cannot be \
        honoured (it names a tenant, site, GPU model or component that does not exist, or asks for \
        more than any node has) is refused with 422; one larger than its tenant's quota with 403 \
        `quota_exceeded`; a conflict with the current state with 409. Authorization is checked before \
        the body is read: 401 without a valid `Authorization: Bearer TOKEN`, 403 when the caller's \
        role may not do this. Another tenant's requests are 404 to a tenant user.
        """

    static func operation(_ operation: Operation, components: [String: Schema]) -> [String: Any] {
        var out: [String: Any] = [
            "operationId": operation.id,
            "summary": operation.summary,
            "tags": [operation.tag],
            "security": operation.permission == nil ? [] : [["bearer": [String]()]],
        ]
        var parameters: [[String: Any]] = []
        for parameter in operation.pathParameters {
            parameters.append(["name": parameter.name, "in": "path", "required": true, "description": parameter.description, "schema": render(parameter.schema)])
        }
        for parameter in operation.query {
            parameters.append(["name": parameter.name, "in": "query", "required": false, "description": parameter.description, "schema": render(parameter.schema)])
        }
        if operation.body != nil, ["submitRequest", "submitBatch", "apply"].contains(operation.id) {
            parameters.append([
                "name": "Idempotency-Key", "in": "header", "required": false,
                "description": "Makes a retried POST safe: the same key (per tenant) returns the first submission's requests, or application.",
                "schema": render(.string(maxLength: 128, minLength: 1, pattern: "^[\\u0021-\\u007e]+$")),
            ])
        }
        if !parameters.isEmpty { out["parameters"] = parameters }
        if let body = operation.body {
            // A body whose every field is optional may be left out: it reads as `{}`.
            let optional = components[body]?.allOptional ?? false
            out["requestBody"] = ["required": !optional, "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(body)"]]]]
        }
        var responses: [String: Any] = [:]
        for answer in operation.success {
            var response: [String: Any] = ["description": answer.description]
            switch answer.content {
            case .json(let schema): response["content"] = ["application/json": ["schema": ["$ref": "#/components/schemas/\(schema)"]]]
            case .text(let mediaType, let description): response["content"] = [mediaType: ["schema": ["type": "string", "description": description]]]
            case .jsonOrText(let schema, let mediaType, let description):
                response["content"] = [
                    "application/json": ["schema": ["$ref": "#/components/schemas/\(schema)"]],
                    mediaType: ["schema": ["type": "string", "description": description]],
                ]
            case .none: break
            }
            responses[String(answer.status)] = response
        }
        for status in operation.errorStatuses {
            responses[String(status)] = [
                "description": errorDescriptions[status] ?? "An error.",
                "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]],
            ]
        }
        out["responses"] = responses
        return out
    }

    static let errorDescriptions: [Int: String] = [
        400: "The input breaks this document (or a body was sent to an operation that takes none): the error names the field.",
        401: "No valid bearer token.",
        403: "The caller's role may not do this, or the request is larger than its tenant's quota (`quota_exceeded`).",
        404: "Nothing by that name (for a tenant user: none of its own).",
        409: "Conflicts with the current state.",
        413: "The body is larger than 8 MiB.",
        405: "The path does not take this method; `Allow` lists those it takes.",
        415: "The body is not JSON.",
        422: "Well-formed, but it names something that does not exist or asks for more than the cluster could give.",
        503: "Not ready.",
    ]

    static func render(_ schema: Schema) -> [String: Any] {
        switch schema {
        case .ref(let name):
            return ["$ref": "#/components/schemas/\(name)"]
        case .object(let properties, let description):
            var out: [String: Any] = ["type": "object", "additionalProperties": false]
            var rendered: [String: Any] = [:]
            for property in properties {
                var value = render(property.schema)
                if let description = property.description { value["description"] = description }
                rendered[property.name] = value
            }
            out["properties"] = rendered
            let required = properties.filter(\.required).map(\.name)
            if !required.isEmpty { out["required"] = required }
            if let description { out["description"] = description }
            return out
        case .map(let keys, let values, let maxProperties, let description):
            var out: [String: Any] = ["type": "object", "additionalProperties": render(values), "propertyNames": render(.string(keys)), "maxProperties": maxProperties]
            if let description { out["description"] = description }
            return out
        case .array(let items, let minItems, let maxItems, let unique, let description):
            var out: [String: Any] = ["type": "array", "items": render(items), "maxItems": maxItems]
            if minItems > 0 { out["minItems"] = minItems }
            if unique { out["uniqueItems"] = true }
            if let description { out["description"] = description }
            return out
        case .string(let rule):
            var out: [String: Any] = ["type": "string"]
            if let values = rule.values {
                out["enum"] = values
            } else {
                out["maxLength"] = rule.maxLength
                if rule.minLength > 0 { out["minLength"] = rule.minLength }
                if let pattern = rule.pattern { out["pattern"] = pattern }
            }
            if let description = rule.description { out["description"] = description }
            return out
        case .integer(let rule):
            var out: [String: Any] = ["type": "integer", "format": "int64", "minimum": rule.minimum, "maximum": rule.maximum]
            if let description = rule.description ?? rule.unit.map({ "In \($0)." }) { out["description"] = description }
            return out
        case .number(let rule):
            var out: [String: Any] = ["type": "number", "maximum": rule.maximum]
            out[rule.exclusiveMinimum ? "exclusiveMinimum" : "minimum"] = rule.minimum
            if let description = rule.description ?? rule.unit.map({ "In \($0)." }) { out["description"] = description }
            return out
        case .boolean(let description):
            var out: [String: Any] = ["type": "boolean"]
            if let description { out["description"] = description }
            return out
        case .oneOf(let choices, let description):
            var out: [String: Any] = ["oneOf": choices.map(render)]
            if let description { out["description"] = description }
            return out
        }
    }
}
