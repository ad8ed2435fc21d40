"""Real labelled data: importers for the approved public sets (docs/data.md) and the normalized shard format."""
