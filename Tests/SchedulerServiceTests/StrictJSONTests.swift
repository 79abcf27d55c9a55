import Placement
import SchedulerHTTP
import SchedulerService
import Testing

@Suite("Strict JSON decoding")
struct StrictJSONTests {
    struct Inner: Decodable, Equatable {
        var count: Int
        var models: [String]?
    }

    struct Body: Decodable, Equatable {
        var name: String
        var leaseSeconds: Int64?
        var cpu: Double?
        var priority: PriorityClass?
        var gpu: Inner?
        var labels: [String: String]?
        var list: [Inner]?
    }

    func decode(_ text: String) throws(JSONInputError) -> Body {
        try StrictJSON.decode(Body.self, from: Array(text.utf8))
    }

    @Test("well-formed input decodes, numbers in any exact notation")
    func decodes() throws {
        let body = try decode(#"{"name":"a","leaseSeconds":1.2e1,"cpu":0.5,"priority":"batch","gpu":{"count":2},"labels":{"x.y":"z"},"list":[{"count":1,"models":["A100"]}]}"#)
        #expect(body == Body(name: "a", leaseSeconds: 12, cpu: 0.5, priority: .batch, gpu: Inner(count: 2), labels: ["x.y": "z"], list: [Inner(count: 1, models: ["A100"])]))
        #expect(try decode(#"{"name":"\u00e9\ud83d\ude00\n","leaseSeconds":9223372036854775807}"#).leaseSeconds == .max)
        #expect(try decode(#"{"name":"","leaseSeconds":-0.0e5}"#).leaseSeconds == 0)
    }

    @Test("every refusal names the field, its line and the reason", arguments: [
        (#"{"name":"a","leaseSecond":5}"#, "leaseSecond", "did you mean 'leaseSeconds'"),
        (#"{"name":"a","gpu":{"count":1,"modles":[]}}"#, "gpu.modles", "did you mean 'models'"),
        (#"{"name":"a","list":[{"count":1},{"count":1,"zzz":1}]}"#, "list[1].zzz", "unknown field 'zzz'"),
        (#"{"name":"a","leaseSeconds":9223372036854775808}"#, "leaseSeconds", "out of range"),
        (#"{"name":"a","leaseSeconds":1e20}"#, "leaseSeconds", "out of range"),
        (#"{"name":"a","leaseSeconds":1.5}"#, "leaseSeconds", "whole number"),
        (#"{"name":"a","leaseSeconds":"5"}"#, "leaseSeconds", "must be a whole number, got a string"),
        (#"{"name":"a","cpu":1e400}"#, "cpu", "out of range"),
        (#"{"name":"a","cpu":null}"#, "cpu", "must not be null"),
        (#"{"name":"a","priority":"urgent"}"#, "priority", "known: critical"),
        (#"{"name":"a","gpu":{}}"#, "gpu.count", "is required"),
        (#"{"leaseSeconds":1}"#, "name", "is required"),
        (#"{"name":"a","name":"b"}"#, "name", "appears twice"),
        (#"{"name":"a","gpu":{"count":1,"count":2}}"#, "gpu.count", "appears twice"),
        (#"{"name":"a","list":[{"x":1},{"x":1,"x":2}]}"#, "list[1].x", "appears twice"),
        (#"{"name":"a","list":{}}"#, "list", "must be a list, got an object"),
    ])
    func refusals(text: String, field: String, message: String) {
        do {
            _ = try decode(text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.field == field, "\(text): \(error)")
            #expect(error.message.contains(message), "\(text): \(error)")
        }
    }

    @Test("malformed JSON says where", arguments: [
        ("", "empty"),
        ("{\"name\":\"a\",}", "field name"),
        ("{\"name\":\"a\"} x", "after the JSON value"),
        ("{\"name\":\"a\u{1}\"}", "control character"),
        ("{\"name\":\"\\ud800\"}", "lone surrogate"),
        ("{\"name\":01}", "start with 0"),
        ("{\"name\":\n\n tru}", "expected a value"),
        (String(repeating: "[", count: 100_000), "nested deeper"),
    ])
    func malformed(text: String, message: String) {
        do {
            _ = try decode(text)
            Issue.record("\(text.prefix(40)) was accepted")
        } catch {
            #expect(error.field == "", "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test("lines are counted")
    func lines() {
        do {
            _ = try decode("{\n  \"name\": \"a\",\n\n  \"cpux\": 1\n}")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 4)
            #expect(error.description == "line 4: field 'cpux': unknown field 'cpux'; did you mean 'cpu'?")
        }
    }

    @Test("invalid UTF-8 is refused")
    func invalidUTF8() {
        #expect(throws: JSONInputError.self) { try StrictJSON.decode(Body.self, from: [UInt8](#"{"name":""#.utf8) + [0xff, 0xfe] + [UInt8](#""}"#.utf8)) }
    }
}
