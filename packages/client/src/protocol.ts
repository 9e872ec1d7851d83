// What the client shares with servers, re-exported so that a browser app needs one install: the
// event model's types, isTerminalEnvelope, the route helpers, the limits and the errors the route
// helpers throw. An entry of its own, outside the default entry's size budget.
export * from '@docspasta/progress-protocol'
