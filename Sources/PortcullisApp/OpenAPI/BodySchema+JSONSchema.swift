import OpenAPIKit

extension BodySchema {
    /// The body as a JSON Schema object: every rule the validator applies, and
    /// `additionalProperties: false`, since unknown fields are refused.
    var jsonSchema: JSONSchema {
        var properties = OrderedDictionary<String, JSONSchema>()
        for field in fields { properties[field.name] = field.jsonSchema }
        return .object(properties: properties, additionalProperties: .a(false))
    }
}

extension FieldRule {
    var jsonSchema: JSONSchema {
        switch kind {
        case .string(let minLength, let maxLength, let allowed, let format):
            .string(
                format: format == .email ? .email : .generic, required: required, description: summary,
                minLength: minLength, maxLength: maxLength, pattern: allowed?.pattern
            )
        case .numbers(let minItems, let maxItems):
            .array(required: required, description: summary, minItems: minItems, maxItems: maxItems, items: .number)
        }
    }
}
