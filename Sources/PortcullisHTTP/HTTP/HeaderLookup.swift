public import HTTPTypes

extension HTTPFields {
    /// What `self[name]` reads — every field named `name`, values joined — without the
    /// subscript's generic lazy join when at most one field has the name, which is nearly
    /// always. The middleware reads several headers of every request and response this way.
    public func value(_ name: HTTPField.Name) -> String? {
        var found: String?
        for field in self where field.name.matches(name) {
            if found != nil { return self[name] }
            found = field.value
        }
        return found
    }

    /// What `contains(name)` answers, with ``HTTPField/Name/matches(_:)``'s cheaper test.
    public func has(_ name: HTTPField.Name) -> Bool {
        contains { $0.name.matches(name) }
    }

    /// What `self[name] = value` does, appending without the subscript's generic replace
    /// when no field has the name yet, as on most responses.
    public mutating func set(_ name: HTTPField.Name, _ value: String) {
        if has(name) {
            self[name] = value
        } else {
            append(HTTPField(name: name, value: value))
        }
    }
}

extension HTTPField.Name {
    /// `self == other`, told apart by length first: `HTTPFields` looks a name up by comparing
    /// it with every field's, and String's general comparison of two different names was the
    /// largest part of each lookup. Canonical names are lowercase ASCII, so equal names have
    /// equal lengths.
    @inlinable
    public func matches(_ other: HTTPField.Name) -> Bool {
        canonicalName.utf8.count == other.canonicalName.utf8.count && canonicalName == other.canonicalName
    }
}
