import Foundation
import Testing

/// `suanli-sim pack` on instance files it reads from a folder, as a user would run it.
struct PackCommandTests {
    func folder(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("suanli-pack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url.appendingPathComponent("set"), withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return url
    }

    @Test("pack reads BPPLIB and vector instances from folders and prints one JSON line each; optima are reached")
    func packsAFolder() throws {
        let directory = try folder([
            // Two triplets of a bin of 100 (CRLF line ends, as BPPLIB ships them).
            "set/tiny.txt": "6\r\n100\r\n50\r\n45\r\n30\r\n25\r\n25\r\n25\r\n",
            "set/pairs.vbp": "2\n10 10\n2\n7 3 3\n3 7 3\n",
            "README.txt": "Not an instance.\n",
        ])
        let (status, output, error) = try SimulatorCommandTests.run(["pack", directory.path, "--json", "--budget", "0.2"])
        #expect(status == 0, "\(error)")
        let lines = output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 2)
        let byName = Dictionary(uniqueKeysWithValues: lines.map { ($0["instance"] as? String ?? "", $0) })
        #expect(byName["tiny"]?["bins"] as? Int == 2 && byName["tiny"]?["lower_bound"] as? Int == 2)
        #expect(byName["pairs"]?["bins"] as? Int == 3 && byName["pairs"]?["lower_bound"] as? Int == 3)
        for line in lines { #expect(line["seconds"] is Double) }
    }

    @Test("a malformed instance is an error naming the file, line and field")
    func malformed() throws {
        let directory = try folder(["bad.txt": "3\n100\n40\nforty\n20\n"])
        let (status, _, error) = try SimulatorCommandTests.run(["pack", directory.appendingPathComponent("bad.txt").path])
        #expect(status != 0)
        #expect(error.contains("bad.txt:4: field 'weight 2': 'forty' is not an integer"), "\(error)")
    }
}
