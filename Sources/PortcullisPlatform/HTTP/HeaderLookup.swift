public import HTTPTypes

extension HTTPFields {
    /// What `self[name]` reads — every field named `name`, values joined — without the
    /// subscript's generic lazy join when at most one field has the name, which is nearly
    /// always. The middleware reads several headers of every request and response this way.
    public func value(_ name: HTTPField.Name) -> String? {
        var found: String?
        for field in self where field.name == name {
            if found != nil { return self[name] }
            found = field.value
        }
        return found
    }

    /// What `self[name] = value` does, appending without the subscript's generic replace
    /// when no field has the name yet, as on most responses.
    public mutating func set(_ name: HTTPField.Name, _ value: String) {
        if contains(name) {
            self[name] = value
        } else {
            append(HTTPField(name: name, value: value))
        }
    }
}
