import Foundation
import PodsimModel
import Testing

/// Every field of every child configuration survives the trip through the `--config` argument.
@Suite struct ChildConfigurationTests {
    @Test func aPodConfigurationRoundTrips() throws {
        let configuration = PodConfiguration(
            name: "pod-7", host: "127.0.0.2", port: 40_123, storePath: "/tmp/x y/store.sqlite", providerURL: "http://127.0.0.1:9/",
            bugs: [.splitBrainWrites, .attachDeliverNew],
            timings: PodTimings(leaseMillis: 1111, pollMillis: 22, keepaliveMillis: 333, drainMillis: 4444),
            sandboxRunner: .agentSandbox, dockerAvailable: true, maxConcurrentRuns: 5, parentPID: 4242)
        #expect(try PodConfiguration(encodedArgument: configuration.encodedArgument()) == configuration)
        let unset = PodConfiguration(name: "pod-1", port: 1, storePath: "s", providerURL: "u")
        #expect(try PodConfiguration(encodedArgument: unset.encodedArgument()) == unset)
        var unrecorded = unset
        unrecorded.history = false
        #expect(try PodConfiguration(encodedArgument: unrecorded.encodedArgument()) == unrecorded)
    }

    @Test func aPodConfigurationWithoutTheHistoryKeyJournals() throws {
        let encoded = try PodConfiguration(name: "pod-1", port: 1, storePath: "s", providerURL: "u").encodedArgument()
        var object = try #require(try JSONSerialization.jsonObject(with: Data(encoded.utf8)) as? [String: Any])
        object["history"] = nil
        let withoutKey = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        #expect(try PodConfiguration(encodedArgument: withoutKey).history)
    }

    @Test func aMockProviderConfigurationRoundTrips() throws {
        let configuration = MockAIConfiguration(host: "::1", port: 5, parentPID: 77)
        #expect(try MockAIConfiguration(encodedArgument: configuration.encodedArgument()) == configuration)
    }

    @Test func aLinkDaemonConfigurationRoundTrips() throws {
        let configuration = LinkDaemonConfiguration(
            name: "ld_1", host: "127.0.0.3", port: 6, podURLs: ["http://127.0.0.1:1", "http://127.0.0.1:2"],
            apiKey: "psk_\"quoted\"", ttlMillis: 600_000, heartbeatMillis: 17, parentPID: 88)
        #expect(try LinkDaemonConfiguration(encodedArgument: configuration.encodedArgument()) == configuration)
    }

    @Test func aMalformedConfigurationIsAnError() {
        #expect(throws: (any Error).self) { try PodConfiguration(encodedArgument: #"{"name":"pod-1"}"#) }
        #expect(throws: (any Error).self) { try LinkDaemonConfiguration(encodedArgument: "not json") }
    }
}
