/// The address check behind `format: email`: a dot-atom local part of at most 64 characters,
/// an `@`, and a domain of at least two DNS labels — RFC 5321's practical subset, without
/// quoted local parts or address literals, which no sign-up form should need.
enum EmailAddress {
    private static let localCharacters = CharacterClass("A-Za-z0-9!#$%&'*+/=?^_`{|}~.-")
    private static let labelCharacters = CharacterClass("A-Za-z0-9-")

    static func isValid(_ address: String) -> Bool {
        guard address.utf8.count <= 254, let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        guard (1...64).contains(local.utf8.count), local.unicodeScalars.allSatisfy(localCharacters.contains),
            !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..")
        else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.unicodeScalars.allSatisfy(labelCharacters.contains)
                && !label.hasPrefix("-") && !label.hasSuffix("-")
        }
    }
}
