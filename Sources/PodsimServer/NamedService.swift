import ServiceLifecycle

extension ServiceGroupConfiguration.ServiceConfiguration {
    /// A service in a group, named by its type for logs and errors. The plain initializer names
    /// it `"\(service)"`, describing the whole value by reflection, whose dynamic casts each scan
    /// every protocol conformance in the binary: 80 % of a pod's `Pod.run` CPU before this.
    public static func named(
        _ service: any Service, successTerminationBehavior: TerminationBehavior = .cancelGroup,
        failureTerminationBehavior: TerminationBehavior = .cancelGroup
    ) -> Self {
        .init(
            service: service, successTerminationBehavior: successTerminationBehavior,
            failureTerminationBehavior: failureTerminationBehavior, serviceName: _typeName(type(of: service), qualified: false))
    }
}
