/// A sum of doubles kept exactly (Shewchuk's non-overlapping partials, as Python's
/// `math.fsum`), read as the exact total rounded once. Floating-point addition depends on its
/// order, so summing the same workers' histogram sums in another order (as happens when one
/// exits and its values move to the retained totals) could read a few ulps lower; the exact
/// total, rounded once, cannot: adding a non-negative value never makes ``value`` smaller.
struct ExactSum: Equatable, Sendable {
    /// Non-overlapping, in increasing magnitude; their exact sum is the total.
    private var partials: [Double] = []
    /// Infinities and NaN, summed the ordinary way: they have no exact total to keep.
    private var special = 0.0

    init(_ value: Double = 0) {
        add(value)
    }

    mutating func add(_ value: Double) {
        guard value.isFinite else {
            special += value
            return
        }
        var x = value
        var kept = 0
        for index in partials.indices {
            var y = partials[index]
            if abs(x) < abs(y) { swap(&x, &y) }
            let high = x + y
            let low = y - (high - x)
            if low != 0 {
                partials[kept] = low
                kept += 1
            }
            x = high
        }
        partials.removeSubrange(kept...)
        partials.append(x)
    }

    /// The exact total rounded to the nearest double, ties to even.
    var value: Double {
        guard special == 0 else { return special }
        var index = partials.count - 1
        guard index >= 0 else { return 0 }
        var high = partials[index]
        var low = 0.0
        while index > 0 {
            index -= 1
            let x = high
            let y = partials[index]
            high = x + y
            low = y - (high - x)
            if low != 0 { break }
        }
        // Half-way cases: the partials below `low` decide which way to round.
        if index > 0, (low < 0 && partials[index - 1] < 0) || (low > 0 && partials[index - 1] > 0) {
            let twice = low * 2
            let rounded = high + twice
            if twice == rounded - high { high = rounded }
        }
        return high
    }
}
