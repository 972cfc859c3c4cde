import PodsimStore

/// Fans a thread's subject out to this pod's watchers.
actor SubjectFeeds {
    let store: Store

    init(store: Store) {
        self.store = store
    }
}
