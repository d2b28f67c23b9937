"""The vocabulary every layer speaks: entities, the output layout, tasks, findings; no IO."""
