import Placement
import Testing

struct SuggestionTests {
    @Test(arguments: [
        ("leaseSecond", "leaseSeconds"), ("tenat", "tenant"), ("nmae", "name"), ("modles", "models"), ("ID", "id"),
        ("gpus", nil as String?), ("zzz", nil), ("httpPrt", "httpPort"),
    ])
    func suggestsOnlyNearNames(_ typed: String, _ expected: String?) {
        let known = ["leaseSeconds", "tenant", "name", "models", "id", "cpu", "gpuMilli", "httpPort", "grpcPort"]
        #expect(Suggestion.nearest(typed, among: known) == expected)
    }
}
