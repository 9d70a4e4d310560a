import PortcullisJobs
import PortcullisPlatform

/// `process_data`: the count, sum, minimum, maximum and mean of `items`, 1 to 10000 numbers.
enum ProcessDataJob {
    static let kind = "process_data"

    static let handler = JobHandler(kind: kind) { context in
        guard case .object(let fields) = context.payload, case .array(let items)? = fields["items"] else {
            throw JobFailure("the job's payload has no items", permanent: true)
        }
        let numbers = try items.map { item -> Double in
            switch item {
            case .int(let number): return Double(number)
            case .double(let number): return number
            default: throw JobFailure("every item must be a number", permanent: true)
            }
        }
        return try summary(of: numbers)
    }

    /// `{count, sum, min, max, mean}`; a permanent failure for no numbers or a sum beyond a double's range.
    static func summary(of numbers: [Double]) throws -> JSONValue {
        guard let minimum = numbers.min(), let maximum = numbers.max() else {
            throw JobFailure("there are no items", permanent: true)
        }
        let sum = numbers.reduce(0, +)
        guard sum.isFinite else { throw JobFailure("the sum of the items is beyond the range of a double", permanent: true) }
        return [
            "count": .int(numbers.count), "sum": number(sum), "min": number(minimum), "max": number(maximum),
            "mean": number(sum / Double(numbers.count)),
        ]
    }

    /// Whole numbers as JSON integers, so `[1, 2]` sums to `3`, not `3.0`.
    private static func number(_ value: Double) -> JSONValue {
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return .int(Int(value)) }
        return .double(value)
    }
}
