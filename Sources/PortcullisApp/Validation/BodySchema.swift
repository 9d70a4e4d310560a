import PortcullisHTTP
import PortcullisPlatform

/// The fields a JSON request body may have. Validation is strict: a missing required field,
/// an unknown field or a field of the wrong type or shape is a 422 whose `details` name
/// every such field.
public struct BodySchema: Sendable {
    /// The schema's name in `components.schemas` of the OpenAPI document.
    public let name: String
    public let fields: [FieldRule]

    public init(name: String, fields: [FieldRule]) {
        self.name = name
        self.fields = fields
    }

    /// The body's fields, or a 422 listing every problem at once.
    func validate(_ body: JSONValue) throws(APIError) -> ValidBody {
        guard case .object(let object) = body else {
            throw APIError.validationFailed(fields: ["body": "must be a JSON object"])
        }
        var problems: [String: String] = [:]
        for field in fields {
            switch object[field.name] {
            case nil, .null?:
                if field.required { problems[field.name] = "is required" }
            case let value?:
                if let problem = field.problem(with: value) { problems[field.name] = problem }
            }
        }
        let known = Set(fields.map(\.name))
        for key in object.keys where !known.contains(key) {
            problems[key] = "is not a known field"
        }
        guard problems.isEmpty else { throw APIError.validationFailed(fields: problems) }
        return ValidBody(values: object)
    }
}

/// A body that passed its schema: typed access to its fields.
struct ValidBody: Sendable {
    let values: [String: JSONValue]

    /// A field the schema declares as a string; "" if it is absent (the schema made it optional).
    func string(_ name: String) -> String {
        optionalString(name) ?? ""
    }

    func optionalString(_ name: String) -> String? {
        guard case .string(let text) = values[name] else { return nil }
        return text
    }

    /// A field the schema declares as an array of numbers.
    func numbers(_ name: String) -> [Double] {
        guard case .array(let items) = values[name] else { return [] }
        return items.compactMap { item in
            switch item {
            case .int(let number): Double(number)
            case .double(let number): number
            default: nil
            }
        }
    }
}
