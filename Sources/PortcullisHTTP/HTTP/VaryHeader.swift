import HTTPTypes
import PortcullisPlatform

extension HTTPFields {
    /// Adds `field` (a `Vary` field naming one header) unless `Vary` lists that header already
    /// or `Vary: *` covers it. Read by bytes: splitting, trimming and lower-casing the list
    /// cost a response more than the rest of its compression checks.
    mutating func addVary(_ field: HTTPField) {
        for existing in self where existing.name.matches(.vary) {
            if ASCIISearch.listContains(existing.value, field.value) || ASCIISearch.listContains(existing.value, "*") { return }
        }
        append(field)
    }
}

extension HTTPField {
    static let varyOrigin = HTTPField(name: .vary, value: "Origin")
    static let varyAcceptEncoding = HTTPField(name: .vary, value: "Accept-Encoding")
}
