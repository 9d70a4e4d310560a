extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    public func trimmingSpaces() -> String {
        String(withoutSurroundingSpaces)
    }

    /// The text without leading and trailing spaces and tabs, without copying it. Inlinable, so
    /// it is specialised where it is used (a proxied response's `Connection` tokens among them).
    @inlinable public var withoutSurroundingSpaces: SubSequence {
        var text = self[...]
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }

    /// The text without one pair of surrounding double quotes.
    public func trimmingQuotes() -> String {
        count >= 2 && hasPrefix("\"") && hasSuffix("\"") ? String(dropFirst().dropLast()) : String(self)
    }
}
