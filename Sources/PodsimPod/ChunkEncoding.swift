import PodsimModel

/// How `RunExecution` writes a chunk to the chunk log. `/stream` sends stored bodies as they
/// are, so they are pod API JSON.
let jsonEncoder = PodAPI.encoder
